export { pagewire, type Pagewire } from './pagewire.js';
export { DEFAULT_FORBIDDEN_MODULES, type PagewireOptions, type ResolvedOptions } from './options.js';
export type { Logger } from './logger.js';
export type { ScriptErrorInfo, CloseReason } from '../runner/messages.js';
export type { PageStats } from './pages/page-registry.js';

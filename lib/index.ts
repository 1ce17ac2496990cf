export { pagewire, type Pagewire } from './pagewire.js';
export { DEFAULT_FORBIDDEN_MODULES, DEFAULT_OPTIONS, type PagewireOptions, type ResolvedOptions } from './options.js';
export { consoleLogger, type Logger, type LogFields } from './logger.js';
export { PagewireError, type ErrorContext, type ErrorHandler } from './errors.js';
export type { ScriptErrorInfo, CloseReason } from '../runner/messages.js';
export type { PageStats } from './pages/page-registry.js';
export type { ContextFunction } from './context.js';
export type { SocketMiddleware } from './socket/socket-middleware.js';

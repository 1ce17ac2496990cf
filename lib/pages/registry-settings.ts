import type { RefusalCode } from '../../protocol/wire.js';
import type { ResolvedOptions } from '../options.js';

/** The options the page registry and its parts read. */
export type RegistrySettings = Pick<
  ResolvedOptions,
  | 'connectTimeout'
  | 'disconnectTimeout'
  | 'logger'
  | 'onError'
  | 'maxBufferedPushes'
  | 'maxBufferedBytes'
  | 'maxTotalBufferedBytes'
  | 'maxPagesPerSession'
  | 'maxPages'
  | 'maxPendingPages'
  | 'maxDisconnectedPages'
  | 'idleTimeout'
  | 'renderTimeout'
>;

/** Why a socket message about a page was refused. */
export type Refusal = Extract<RefusalCode, 'UNKNOWN_PAGE' | 'NOT_JOINED' | 'BAD_SEQUENCE'>;

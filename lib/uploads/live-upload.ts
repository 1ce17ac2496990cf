/** What the upload hub (upload-hub.ts) keeps of each live upload under way, and the counts it reports. */
import type { PageSocket } from '../pages/page-entry.js';
import type { HashingSink } from './hashing-sink.js';
import type { DeclaredFile } from './upload-rules.js';

export interface LiveFile extends DeclaredFile {
  sink?: HashingSink;
  received: number;
  reported: number;
  /** Handed to the script. */
  done?: boolean;
  /** Waiting for its file to drain before the next ack. */
  draining?: boolean;
}

export interface LiveUpload {
  /** Settles once the last completed file was handed to the script: the next waits for it. */
  handed?: Promise<void>;
  key: string;
  id: string;
  pageId: string;
  session: string;
  name: string;
  files: LiveFile[];
  /** The file whose bytes come next. */
  current: number;
  socket: PageSocket;
  reserved: number;
  stall: NodeJS.Timeout | undefined;
}

/** Counts, for `wire.stats().uploads`. */
export interface UploadStats {
  /** Uploads under way. */
  active: number;
  /** Chunks taken, and refused (unknown upload, out of order, too many bytes). */
  chunks: number;
  refusedChunks: number;
  /** Bytes reserved by uploads under way. */
  reservedBytes: number;
}

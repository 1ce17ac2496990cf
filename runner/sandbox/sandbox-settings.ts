/** What a script sandbox is told of the app's options, and the environment it gives scripts. */
import type { FsJailSettings } from '../fs-jail/jail.js';
import type { SandboxClock } from './api.js';

export interface SandboxSettings {
  /** The scripts folder, absolute. */
  root: string;
  /** The node id of the process serving the pages (`page.node`). */
  node: string;
  /** Built-in modules a script may never load (without `node:`). */
  forbiddenModules: readonly string[];
  /** Environment variables scripts see in `process.env`; the others are hidden from them. */
  env: readonly string[];
  /** Event names a push may not use. */
  reservedEvents: readonly string[];
  /** Events one page's mailbox may hold. */
  maxQueuedEvents: number;
  /** The file-system jail's folders (dataDir, readDirs), absolute: runner/fs-jail/. */
  fsJail: FsJailSettings;
  /** Bytes a render's body may hold (UTF-8): `maxResponseBytes`. */
  maxResponseBytes: number;
  /** The largest Buffer or typed array a script may hold: `maxScriptBufferBytes` (buffer-limit.ts). */
  maxScriptBufferBytes: number;
  /** A `shared` key's and value's bytes (UTF-8, a value as JSON), checked before a call leaves the sandbox. */
  maxSharedKeyBytes: number;
  maxSharedValueBytes: number;
  /**
   * Reads a script file (relative to `root`). Default: from disk. The worker pool reads through
   * its main thread, so that every worker runs the same version of a file.
   */
  readSource?: (file: string) => string;
  /** A fake clock for pages' timers and `Date` (`pagewire/testing`, scripts in the host's thread only). */
  clock?: SandboxClock;
}

/** The variables of this thread's environment named in `names`, those that are set. */
export function scriptEnv(names: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

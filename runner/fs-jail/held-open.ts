/**
 * Opening a checked path with no window between the check and the open (Linux): the path's
 * folder is opened first, its real path read back from /proc/self/fd (what was opened, not what
 * the path names by then) and checked by the jail, and the file is opened in that very folder,
 * through `/proc/self/fd/<folder>/<name>`, with O_NOFOLLOW. A folder swapped for a link after the
 * check (while the thread pool held a queued open back) is then refused, and a file swapped for a
 * link fails with ELOOP. readFile, writeFile, appendFile (by path), open and the streams go
 * through here; where /proc is missing, or the folder cannot be opened, the open takes the
 * checked path as before (and Node says why it fails).
 */
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import path from 'node:path';
import type { Access, FsJail } from './jail.js';

type Callback = (error: unknown, ...results: unknown[]) => unknown;

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_EXCL, O_SYNC, O_DIRECTORY, O_NOFOLLOW } =
  fs.constants;
const HAS_PROC = process.platform === 'linux' && fs.existsSync('/proc/self/fd');

const WRITE = O_TRUNC | O_CREAT | O_WRONLY;
const APPEND = O_APPEND | O_CREAT | O_WRONLY;
/** Node's flag strings as numbers (its stringToFlags is internal). */
const STRING_FLAGS: Readonly<Record<string, number>> = {
  r: O_RDONLY,
  rs: O_RDONLY | O_SYNC,
  sr: O_RDONLY | O_SYNC,
  'r+': O_RDWR,
  'rs+': O_RDWR | O_SYNC,
  'sr+': O_RDWR | O_SYNC,
  w: WRITE,
  wx: WRITE | O_EXCL,
  xw: WRITE | O_EXCL,
  'w+': (WRITE & ~O_WRONLY) | O_RDWR,
  'wx+': (WRITE & ~O_WRONLY) | O_RDWR | O_EXCL,
  'xw+': (WRITE & ~O_WRONLY) | O_RDWR | O_EXCL,
  a: APPEND,
  ax: APPEND | O_EXCL,
  xa: APPEND | O_EXCL,
  as: APPEND | O_SYNC,
  sa: APPEND | O_SYNC,
  'a+': (APPEND & ~O_WRONLY) | O_RDWR,
  'ax+': (APPEND & ~O_WRONLY) | O_RDWR | O_EXCL,
  'xa+': (APPEND & ~O_WRONLY) | O_RDWR | O_EXCL,
  'as+': (APPEND & ~O_WRONLY) | O_RDWR | O_SYNC,
  'sa+': (APPEND & ~O_WRONLY) | O_RDWR | O_SYNC,
};

/** A checked path's folder held open and checked: open `path` with `flags`, then `release()`. */
export interface Held {
  /** `/proc/self/fd/<folder>/<name>`. */
  path: string;
  flags: number;
  /** The checked path, shown in errors in place of `path`. */
  real: string;
  release(): void;
}

/** Holds the folder of `real` (checked by the jail) for an open with `flags`; undefined: open as before. */
export function hold(jail: FsJail, real: string, flags: unknown, access: Access): Held | undefined {
  const numeric = typeof flags === 'number' ? flags : typeof flags === 'string' ? STRING_FLAGS[flags] : undefined;
  const name = path.basename(real);
  if (!HAS_PROC || numeric === undefined || name === '') return undefined;
  let folder: number;
  try {
    folder = fs.openSync(path.dirname(real), O_RDONLY | O_DIRECTORY);
  } catch {
    return undefined;
  }
  try {
    jail.heldFolder(folder, name, access, real);
  } catch (error) {
    fs.closeSync(folder);
    throw error;
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    fs.closeSync(folder);
  };
  return { path: `/proc/self/fd/${folder}/${name}`, flags: numeric | O_NOFOLLOW, real, release };
}

/** Node's error about `held.path`, told about the path the script knows. */
function shown(error: unknown, held: Held): unknown {
  const failed = error as { path?: unknown; message?: unknown } | null;
  if (failed && typeof failed === 'object' && failed.path === held.path) {
    failed.path = held.real;
    if (typeof failed.message === 'string') failed.message = failed.message.replace(held.path, held.real);
  }
  return error;
}

export function openHeldSync(held: Held, mode: unknown): number {
  try {
    return fs.openSync(held.path, held.flags, mode as fs.Mode | undefined);
  } catch (error) {
    throw shown(error, held);
  } finally {
    held.release();
  }
}

export function openHeld(held: Held, mode: unknown, callback: Callback): void {
  fs.open(held.path, held.flags, mode as fs.Mode | undefined, (error, fd) => {
    held.release();
    callback(error ? shown(error, held) : null, fd);
  });
}

export async function openHeldPromise(held: Held, mode: unknown): Promise<fsPromises.FileHandle> {
  try {
    return await fsPromises.open(held.path, held.flags, mode as fs.Mode | undefined);
  } catch (error) {
    throw shown(error, held);
  } finally {
    held.release();
  }
}

/** The `fs` option of a stream on a checked path: its open holds the folder, the rest is Node's. */
export function heldStreamFs(jail: FsJail, access: Access): Record<string, unknown> {
  const open = (file: string, flags: unknown, mode: unknown, callback: Callback) => {
    let held: Held | undefined;
    try {
      held = hold(jail, file, flags, access);
    } catch (error) {
      process.nextTick(callback, error);
      return;
    }
    if (held) openHeld(held, mode, callback);
    else fs.open(file, flags as fs.OpenMode, mode as fs.Mode | undefined, callback);
  };
  return { open, read: fs.read, write: fs.write, writev: fs.writev, close: fs.close };
}

export type WholeFile = 'readFile' | 'writeFile' | 'appendFile';
const DEFAULT_FLAG: Readonly<Record<WholeFile, string>> = { readFile: 'r', writeFile: 'w', appendFile: 'a' };

/**
 * `readFile`, `writeFile`, `appendFile` of a checked path (args[0]): the file opened held, then
 * Node's function on its descriptor, closed after. Undefined when it cannot be held (Node's own
 * call then does it by the path).
 */
export function wholeFileHeld(
  jail: FsJail,
  name: WholeFile,
  style: 'sync' | 'callback' | 'promise',
  args: unknown[],
  access: Access,
): { result: unknown } | undefined {
  const options = args[name === 'readFile' ? 1 : 2];
  const given = options !== null && typeof options === 'object' ? (options as { flag?: unknown; mode?: unknown }) : {};
  const callback = args.at(-1);
  if (style === 'callback' && typeof callback !== 'function') return undefined;
  const held = hold(jail, args[0] as string, given.flag ?? DEFAULT_FLAG[name], access);
  if (!held) return undefined;
  const rest = args.slice(1);
  if (style === 'sync') {
    const fd = openHeldSync(held, given.mode);
    try {
      return { result: Reflect.apply(fs[`${name}Sync`] as Callback, fs, [fd, ...rest]) };
    } finally {
      fs.closeSync(fd);
    }
  }
  if (style === 'promise') {
    const run = async () => {
      const handle = await openHeldPromise(held, given.mode);
      try {
        return await Reflect.apply(handle[name] as Callback, handle, rest);
      } finally {
        await handle.close();
      }
    };
    return { result: run() };
  }
  openHeld(held, given.mode, (error, fd) => {
    if (error) return (callback as Callback)(error);
    const done = (failure: unknown, ...results: unknown[]) =>
      fs.close(fd as number, () => (callback as Callback)(failure, ...results));
    try {
      Reflect.apply(fs[name] as Callback, fs, [fd, ...rest.slice(0, -1), done]);
    } catch (failure) {
      // Bad arguments Node throws at once: the script's callback gets them, never this thread.
      done(failure);
    }
  });
  return { result: undefined };
}

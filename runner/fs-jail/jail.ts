/**
 * The file-system jail of scripts (PHP's `open_basedir`): which paths a script's `fs` may read
 * and write. Every path is resolved first, symbolic links included (`realpath`; for a path that
 * does not exist yet, its nearest existing parent, following a dangling link by hand), then
 * checked against the folders. Built in the host realm, once per runner thread (facade.ts).
 */
import { existsSync, fstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folders of the jail, absolute, as the runner settings carry them. */
export interface FsJailSettings {
  /** Where scripts write (and read): `dataDir`. */
  dataDir: string;
  /** Folders scripts may also read: `readDirs`. */
  readDirs: readonly string[];
}

export type Access = 'read' | 'write';

interface OpenFile {
  /** `dev:ino` of the file when opened: a number reused for another file is not the same. */
  identity: string;
  writable: boolean;
}

/** Never reachable through a script's `fs`, whatever the folders say. */
const SYSTEM_DENIED = ['/proc', '/sys', '/dev'];

/** The methods of a FileHandle that change its file: refused on one opened for reading. */
const HANDLE_CHANGES = [
  'appendFile',
  'chmod',
  'chown',
  'datasync',
  'sync',
  'truncate',
  'utimes',
  'write',
  'writeFile',
  'writev',
];

/** Symbolic links followed by hand before the resolution gives up, as Linux's ELOOP does. */
const MAX_LINKS = 40;

export class FsJail {
  readonly #scripts: string;
  readonly #data: string;
  readonly #readDirs: readonly string[];
  /** Pagewire's own package folder: its code must never be read or rewritten by a script. */
  readonly #pagewire: string | undefined = pagewireFolder();
  /** Files this thread's scripts opened through the jail: fd -> the file it was opened on, and how. */
  readonly #fds = new Map<number, OpenFile>();
  /** FileHandles of `fs.promises.open` the jail handed out -> opened for writing. Only these pass as one. */
  readonly #handles = new WeakMap<object, boolean>();
  #dataMade = false;

  constructor(scriptsDir: string, settings: FsJailSettings) {
    this.#scripts = resolveReal(scriptsDir);
    this.#data = resolveReal(settings.dataDir);
    this.#readDirs = settings.readDirs.map((dir) => resolveReal(dir));
  }

  /**
   * A path argument checked for `access`: the real path to hand to Node (a string, whatever the
   * script passed: a Buffer, a `file:` URL), or a thrown refusal. `follow: false` for calls on a
   * link itself (lstat, unlink, rename): its folder is resolved, not the link.
   */
  path(value: unknown, access: Access, follow = true): string {
    const given = pathText(value);
    const absolute = path.resolve(given);
    const real = follow
      ? resolveReal(absolute)
      : path.join(resolveReal(path.dirname(absolute)), path.basename(absolute));
    const refusal = this.#refusal(real, access);
    if (refusal) throw jailError(given, real, access, refusal);
    if (access === 'write' && !this.#dataMade && real !== this.#data && inside(real, this.#data)) {
      // Created on demand, private to the server's user: the first write under it. Still where it
      // was when the server started (a folder of its path swapped for a link since is refused).
      mkdirSync(this.#data, { recursive: true, mode: 0o700 });
      const now = realpathSync.native(this.#data);
      if (now !== this.#data) {
        const why = `dataDir is now really ${now}, not ${this.#data} as when the server started; restart it`;
        throw jailError(given, real, access, why);
      }
      this.#dataMade = true;
    }
    return real;
  }

  /**
   * A symbolic link's target: it must stay inside `dataDir`, and the link is made with its real,
   * absolute target. A relative one (`../../etc` made deep in dataDir) would point elsewhere once
   * the link is renamed, hard-linked or copied to a shallower folder.
   */
  linkTarget(target: unknown, linkPath: string): string {
    const given = pathText(target);
    const real = resolveReal(path.resolve(path.dirname(linkPath), given));
    if (!inside(real, this.#data)) {
      const why = `a symbolic link made by a script must point inside dataDir (${this.#data})`;
      throw jailError(given, real, 'write', why);
    }
    return real;
  }

  /** `mkdtemp`'s prefix, checked as the folder it makes (the prefix and six more characters). */
  tempPrefix(value: unknown): string {
    const suffix = 'XXXXXX';
    return this.path(`${pathText(value)}${suffix}`, 'write', false).slice(0, -suffix.length);
  }

  /** A link `cp` would copy as a link: its real target must be inside `dataDir`, as for symlink. */
  copiedLink(source: string, destination: string): void {
    const real = resolveReal(source);
    if (!inside(real, this.#data)) {
      const why =
        `cp copies a symbolic link as a link, which must point inside dataDir (${this.#data}); ` +
        'give cp the dereference: true option to copy what it points to';
      throw jailError(source, real, 'write', why);
    }
    this.path(destination, 'write', false);
  }

  /**
   * A folder held open by `folder` (held-open.ts), checked by what it really is now (its path read
   * back from /proc/self/fd: the folder opened, not what its path names after a swap), with the
   * file `name` in it, for `access`. Throws the refusal.
   */
  heldFolder(folder: number, name: string, access: Access, checked: string): void {
    const real = path.join(readlinkSync(`/proc/self/fd/${folder}`), name);
    const why = this.#refusal(real, access);
    if (why) throw jailError(checked, real, access, `${why} (a folder on its path was swapped after the check)`);
  }

  /** Remembers a file descriptor a script opened through the jail (by the file it names, and its access). */
  opened(fd: number, access: Access): void {
    this.#fds.set(fd, { identity: identity(fd), writable: access === 'write' });
  }

  /** Remembers a FileHandle of `fs.promises.open`: the only objects taken as a descriptor. */
  openedHandle(handle: { fd: number }, access: Access): void {
    this.#handles.set(handle, access === 'write');
    this.opened(handle.fd, access);
    if (access === 'write') return;
    // Its own methods that change the file (chmod, utimes work on any descriptor of its owner).
    for (const name of HANDLE_CHANGES) {
      const refuse = () => Promise.reject(readOnly(`FileHandle ${handle.fd}`));
      Object.defineProperty(handle, name, { value: refuse, configurable: false, writable: false });
    }
  }

  closed(fd: unknown): void {
    if (typeof fd === 'number') this.#fds.delete(fd);
  }

  /**
   * True for a descriptor: a number, or a FileHandle this jail handed out itself (vm2 hands the
   * host object back, not its proxy). Any other object (one with an `fd` field: a request body)
   * is a path, checked as one.
   */
  isDescriptor(value: unknown): boolean {
    return typeof value === 'number' || (value !== null && typeof value === 'object' && this.#handles.has(value));
  }

  /**
   * A descriptor given to an fd function: only one the scripts opened through the jail, still on
   * the same file (a number the server reused for its own socket or file is refused), and opened
   * for writing when `access` is 'write' (fchmod, futimes, write… on a file opened to read it).
   */
  fd(value: unknown, access: Access = 'read'): void {
    if (value !== null && typeof value === 'object' && this.#handles.has(value)) {
      if (access === 'write' && !this.#handles.get(value))
        throw readOnly(`FileHandle ${String((value as { fd: unknown }).fd)}`);
      return;
    }
    if (typeof value !== 'number') return;
    const known = this.#fds.get(value);
    let now: string | undefined;
    try {
      now = known === undefined ? undefined : identity(value);
    } catch {
      // Closed since: Node says EBADF itself.
      return;
    }
    if (known !== undefined && known.identity === now) {
      if (access === 'write' && !known.writable) throw readOnly(`file descriptor ${value}`);
      return;
    }
    this.#fds.delete(value);
    const message =
      `EACCES: Pagewire's file-system jail refused file descriptor ${value}: a script may use only the ` +
      'descriptors it opened itself through fs (fs.open, fs.openSync, fs.promises.open), never the ' +
      "server's (its sockets, its files, 0-2). Open the file by its path instead.";
    throw refusal(message, { fd: value });
  }

  #refusal(real: string, access: Access): string | undefined {
    if (SYSTEM_DENIED.some((denied) => inside(real, denied))) {
      return `${SYSTEM_DENIED.join(', ')} are never open to scripts`;
    }
    if (this.#pagewire && inside(real, this.#pagewire) && !this.#ownedInside(real, this.#pagewire)) {
      return `Pagewire's own files (${this.#pagewire}) are never open to scripts`;
    }
    if (inside(real, this.#data)) return undefined;
    const roots = `scripts write only under dataDir (${this.#data})`;
    if (access === 'write')
      return `${roots}; change the dataDir option (pagewire serve --data-dir DIR) to write elsewhere`;
    const readRoots = [this.#scripts, ...this.#readDirs];
    const root = readRoots.find((dir) => inside(real, dir));
    if (root === undefined) {
      const where = [`the scripts folder (${this.#scripts})`, `dataDir (${this.#data})`, ...this.#readDirs];
      const fix = 'add its folder to the readDirs option (pagewire serve --read-dir DIR) to read it';
      return `scripts read only under ${where.join(', ')}; ${fix}`;
    }
    // A slice, not path.relative (which resolves both paths again: a third of the jail's cost).
    const segments = real.slice(root.endsWith(path.sep) ? root.length : root.length + 1).split(path.sep);
    const isPrivate = (name: string) => name.startsWith('.') || (root === this.#scripts && name.startsWith('_'));
    if (segments.some(isPrivate)) {
      return (
        'private files (names starting with . , and with _ in the scripts folder: partials, .env) are ' +
        'read by scripts only through import, never through fs: a configuration is a partial that exports it ' +
        '(_config.ts: export default { ... }), and data files go in dataDir'
      );
    }
    return undefined;
  }

  /** True when `real` is in the scripts folder or dataDir, themselves inside `denied`. */
  #ownedInside(real: string, denied: string): boolean {
    return [this.#scripts, this.#data].some((dir) => inside(dir, denied) && inside(real, dir));
  }
}

/** A path argument as text: a string, a UTF-8 Buffer, or a `file:` URL. Anything else is refused. */
function pathText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array || ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value as Uint8Array);
    const text = bytes.toString('utf8');
    if (Buffer.from(text).equals(bytes)) return text;
    throw Object.assign(new TypeError('a path given as a Buffer must be UTF-8 in a Pagewire script'), {
      code: 'ERR_INVALID_ARG_VALUE',
    });
  }
  if (value !== null && typeof value === 'object') {
    // Read once: a getter that answers differently the second time cannot pass the check.
    const href: unknown = (value as { href?: unknown }).href;
    if (typeof href === 'string' && href.startsWith('file:')) return fileURLToPath(href);
  }
  const message = `The "path" argument must be of type string, Buffer or file: URL. Received ${typeof value}`;
  throw Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' });
}

/** The real path of `absolute`, symbolic links resolved, also for a path that does not exist yet. */
export function resolveReal(absolute: string, links = 0): string {
  try {
    return realpathSync.native(absolute);
  } catch {
    // Missing (or unreadable): resolve its folder, then the last name by hand.
  }
  const parent = path.dirname(absolute);
  if (parent === absolute) return absolute;
  const here = path.join(resolveReal(parent, links), path.basename(absolute));
  let target: string;
  try {
    target = readlinkSync(here);
  } catch {
    return here;
  }
  // A dangling link: a write through it would create its target, wherever that is.
  if (links >= MAX_LINKS)
    throw Object.assign(new Error(`ELOOP: too many symbolic links at '${absolute}'`), { code: 'ELOOP' });
  return resolveReal(path.resolve(path.dirname(here), target), links + 1);
}

export function inside(real: string, folder: string): boolean {
  return real === folder || real.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);
}

function identity(fd: number): string {
  const stat = fstatSync(fd);
  return `${stat.dev}:${stat.ino}`;
}

function readOnly(what: string): Error {
  const message =
    `EACCES: Pagewire's file-system jail refused to change the file of ${what}: it was opened for reading ` +
    "(a script changes only files of dataDir, opened with a flag that writes, such as 'r+' or 'w').";
  return refusal(message, {});
}

function jailError(given: string, real: string, access: Access, why: string): Error {
  const shown = given === real ? `'${given}'` : `'${given}' (really '${real}')`;
  const message = `EACCES: Pagewire's file-system jail refused to ${access} ${shown}: ${why}.`;
  return refusal(message, { path: given, realPath: real });
}

/**
 * An `EACCES` error, with `hostStack`: vm2 hands a script a host error without its frames, and
 * this copy keeps the script's (prelude/errors.ts reads it), so the error points at its line.
 */
function refusal(message: string, fields: Record<string, unknown>): Error {
  const error = Object.assign(new Error(message), { code: 'EACCES', ...fields });
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder);
  Error.stackTraceLimit = limit;
  return Object.assign(error, { hostStack: holder.stack ?? '' });
}

/** The folder of Pagewire's package.json, above this file (source or dist/). */
function pagewireFolder(): string | undefined {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(folder, 'package.json');
    if (existsSync(manifest) && /"name":\s*"pagewire"/.test(readFileSync(manifest, 'utf8'))) return resolveReal(folder);
    const parent = path.dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}

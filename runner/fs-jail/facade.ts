/**
 * The `fs` and `fs/promises` scripts get: Node's, each function generated from the lists of
 * fs-functions.ts around a check by the jail (jail.ts). Built in the host realm once per runner
 * thread, handed to vm2 as the sandbox's `fs`, `node:fs`, `fs/promises` (`require.mock`).
 * Every path crosses as the real path the jail checked, never as the script's object, so a value
 * that answers differently the second time it is read cannot pass the check.
 */
import fs from 'node:fs';
import fsPromises, { type FileHandle } from 'node:fs/promises';
import {
  FS_ASYNC_ONLY,
  FS_FUNCTIONS,
  FS_PATH_FREE,
  FS_STREAM_CLASSES,
  PROMISES_FUNCTIONS,
  PROMISES_PATH_FREE,
  type ArgKind,
} from './fs-functions.js';
import {
  heldStreamFs,
  hold,
  openHeld,
  openHeldPromise,
  openHeldSync,
  type WholeFile,
  wholeFileHeld,
} from './held-open.js';
import { FsJail, type Access, type FsJailSettings } from './jail.js';
import { readFileBound } from './buffer-bound.js';

type AnyFunction = (...args: unknown[]) => unknown;
/** For every function but `readFile`: what it returns goes to the script as it is. */
const UNBOUND = { before: (_args: unknown[]) => {}, after: (result: unknown) => result };
type Style = 'sync' | 'callback' | 'promise';

/** The modules a sandbox gets in place of Node's, by the names `require` takes. */
export type JailedModules = Record<'fs' | 'fs/promises', Record<string, unknown>>;

const built = new WeakMap<FsJailSettings, JailedModules>();

/**
 * The jailed modules of a runner thread: one jail, one facade, whatever the number of scripts.
 * `maxBufferBytes` (`maxScriptBufferBytes`) bounds the Buffer a `readFile` hands a script.
 */
export function jailedFs(
  scriptsDir: string,
  settings: FsJailSettings,
  maxBufferBytes = Number.POSITIVE_INFINITY,
): JailedModules {
  let modules = built.get(settings);
  if (!modules) {
    modules = buildFacade(new FsJail(scriptsDir, settings), maxBufferBytes);
    built.set(settings, modules);
  }
  return modules;
}

export function buildFacade(jail: FsJail, maxBufferBytes = Number.POSITIVE_INFINITY): JailedModules {
  const host = fs as unknown as Record<string, unknown>;
  const hostPromises = fsPromises as unknown as Record<string, unknown>;
  const promises: Record<string, unknown> = {};
  for (const [name, kinds] of Object.entries(PROMISES_FUNCTIONS)) {
    promises[name] = jailed(jail, hostPromises[name] as AnyFunction, name, kinds, 'promise', maxBufferBytes);
  }
  for (const name of PROMISES_PATH_FREE) promises[name] = hostPromises[name];
  const facade: Record<string, unknown> = {};
  for (const [name, kinds] of Object.entries(FS_FUNCTIONS)) {
    facade[name] = jailed(jail, host[name] as AnyFunction, name, kinds, 'callback', maxBufferBytes);
    facade[`${name}Sync`] = jailed(jail, host[`${name}Sync`] as AnyFunction, name, kinds, 'sync', maxBufferBytes);
  }
  for (const [name, kinds] of Object.entries(FS_ASYNC_ONLY)) {
    facade[name] = jailed(jail, host[name] as AnyFunction, name, kinds, 'callback');
  }
  for (const [name, kind] of Object.entries(FS_STREAM_CLASSES)) {
    facade[name] = jailedClass(jail, host[name] as new (...args: unknown[]) => object, kind);
  }
  for (const name of FS_PATH_FREE) facade[name] = host[name];
  // realpath.native: the same check, libc's resolution.
  const native = (fs.realpath as unknown as { native: AnyFunction }).native;
  const nativeSync = (fs.realpathSync as unknown as { native: AnyFunction }).native;
  Object.assign(facade.realpath as object, { native: jailed(jail, native, 'realpath', ['r'], 'callback') });
  Object.assign(facade.realpathSync as object, { native: jailed(jail, nativeSync, 'realpath', ['r'], 'sync') });
  facade.promises = promises;
  return { fs: facade, 'fs/promises': promises };
}

function jailed(
  jail: FsJail,
  fn: AnyFunction | undefined,
  name: string,
  kinds: readonly ArgKind[],
  style: Style,
  maxBufferBytes = Number.POSITIVE_INFINITY,
) {
  // Absent on this platform (lchmod outside macOS): absent for scripts too.
  if (typeof fn !== 'function') return fn;
  return function jailedFsFunction(...args: unknown[]): unknown {
    // The path as the script gave it, for messages (the check replaces it with the real path).
    const file = args[0];
    const bound = name === 'readFile' ? readFileBound(style, file, maxBufferBytes) : UNBOUND;
    bound.before(args);
    try {
      // Last first: a link's target is read against where the link goes (`symlink(target, path)`).
      for (let index = kinds.length - 1; index >= 0; index--) checkArgument(jail, kinds[index] as ArgKind, args, index);
      if (name === 'open') return opened(jail, fn, args, style);
      if (WHOLE_FILE.has(name) && typeof args[0] === 'string') {
        const access = kinds[0] === 'wf' ? 'write' : flagAccess(optionsFlag(args[1]));
        const held = wholeFileHeld(jail, name as WholeFile, style, args, access);
        if (held) return bound.after(held.result);
      }
    } catch (error) {
      if (style === 'promise') return Promise.reject(error);
      const callback = args.at(-1);
      if (style === 'callback' && typeof callback === 'function' && name !== 'exists') {
        process.nextTick(callback as AnyFunction, error);
        return undefined;
      }
      throw error;
    }
    if (name === 'close') jail.closed(args[0]);
    return bound.after(Reflect.apply(fn, undefined, args));
  };
}

/** Functions that open a file by its path and use it whole: opened by held-open.ts. */
const WHOLE_FILE = new Set(['readFile', 'writeFile', 'appendFile']);

function optionsFlag(options: unknown): unknown {
  return options !== null && typeof options === 'object' ? (options as { flag?: unknown }).flag : undefined;
}

/**
 * `open`, its folder held through the open (held-open.ts), its descriptor remembered by the jail
 * as one the scripts may use, with the access its flags give.
 */
function opened(jail: FsJail, fn: AnyFunction, args: unknown[], style: Style): unknown {
  const flags = typeof args[1] === 'function' ? undefined : args[1];
  const mode = typeof args[2] === 'function' ? undefined : args[2];
  const access = openAccess(flags);
  const held = hold(jail, args[0] as string, flags ?? 'r', flagAccess(flags));
  if (style === 'sync') {
    const fd = held ? openHeldSync(held, mode) : (Reflect.apply(fn, undefined, args) as number);
    jail.opened(fd, access);
    return fd;
  }
  if (style === 'promise') {
    const opening = held ? openHeldPromise(held, mode) : (Reflect.apply(fn, undefined, args) as Promise<FileHandle>);
    return opening.then((handle) => {
      jail.openedHandle(handle, access);
      return handle;
    });
  }
  const callback = args.at(-1);
  if (typeof callback !== 'function') {
    held?.release();
    return Reflect.apply(fn, undefined, args);
  }
  const done = (error: unknown, fd: unknown) => {
    if (!error) jail.opened(fd as number, access);
    (callback as AnyFunction)(error, fd);
  };
  if (held) return openHeld(held, mode, done);
  args[args.length - 1] = done;
  return Reflect.apply(fn, undefined, args);
}

function checkArgument(jail: FsJail, kind: ArgKind, args: unknown[], index: number): void {
  const value = args[index];
  switch (kind) {
    case 'r':
    case 'R':
    case 'w':
    case 'W':
      args[index] = jail.path(value, kind.toLowerCase() === 'r' ? 'read' : 'write', kind === 'r' || kind === 'w');
      return;
    case 'd':
    case 'D':
      return jail.fd(value, kind === 'D' ? 'write' : 'read');
    case 'rf':
    case 'wf': {
      const options = copyOptions(args, index + 1);
      const access = kind === 'wf' ? 'write' : flagAccess(typeof options === 'object' ? options.flag : undefined);
      return pathOrDescriptor(jail, args, index, access);
    }
    case 'o': {
      const flags = args[index + 1];
      args[index] = jail.path(value, flagAccess(typeof flags === 'function' ? undefined : flags));
      return;
    }
    case 'rs':
    case 'ws': {
      const options = copyOptions(args, index + 1);
      const fd = typeof options === 'object' ? options.fd : undefined;
      const flags = typeof options === 'object' ? options.flags : undefined;
      const access = kind === 'ws' ? 'write' : flagAccess(flags);
      if (fd === undefined || fd === null) {
        args[index] = jail.path(value, access);
        // Its open holds the checked folder (held-open.ts), unless the script gave its own `fs`.
        if (typeof options !== 'object' || options.fs === undefined) {
          const given = typeof options === 'string' ? { encoding: options } : (options ?? {});
          args[index + 1] = { ...given, fs: heldStreamFs(jail, access) };
        }
        return;
      }
      if (!jail.isDescriptor(fd))
        throw new TypeError('the fd option must be a number or a FileHandle of fs.promises.open');
      return jail.fd(fd, access);
    }
    case 't':
      args[index] = jail.linkTarget(value, args[index + 1] as string);
      return;
    case 'p':
      args[index] = jail.tempPrefix(value);
      return;
    case 'cp':
      return guardCopy(jail, args, index);
    default: {
      const unknown: never = kind;
      throw new Error(`unknown fs argument kind ${String(unknown)}`);
    }
  }
}

/**
 * A path, or a descriptor: a number, or a FileHandle the jail handed out. Any other object (one
 * with an `fd` field and a `file:` URL's shape, from a request body) is a path, and the checked
 * string replaces it: Node would take such an object for a URL and open its `pathname`.
 */
function pathOrDescriptor(jail: FsJail, args: unknown[], index: number, access: Access): void {
  const value = args[index];
  if (jail.isDescriptor(value)) return jail.fd(value, access);
  args[index] = jail.path(value, access);
}

/** The options argument copied once, getters read once: what was checked is what Node gets. */
function copyOptions(args: unknown[], index: number): Record<string, unknown> | string | undefined {
  const options = args[index];
  if (options === null || typeof options !== 'object') return typeof options === 'string' ? options : undefined;
  const copy = { ...(options as Record<string, unknown>) };
  args[index] = copy;
  return copy;
}

/** What `open`'s flags let the descriptor do: write only when it was opened to write. */
function openAccess(flags: unknown): Access {
  if (typeof flags === 'number') {
    const { O_WRONLY, O_RDWR } = fs.constants;
    return (flags & (O_WRONLY | O_RDWR)) === 0 ? 'read' : 'write';
  }
  return flagAccess(typeof flags === 'function' ? undefined : flags);
}

/** Flags that only read (`r`, `rs`, O_RDONLY) read; any other may write, create or truncate. */
function flagAccess(flags: unknown): Access {
  if (flags === undefined || flags === null) return 'read';
  if (typeof flags === 'number') {
    const { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND } = fs.constants;
    return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) === 0 ? 'read' : 'write';
  }
  return flags === 'r' || flags === 'rs' || flags === 'sr' ? 'read' : 'write';
}

/** `cp`: each file it copies is checked, through its filter (links copied as links included). */
function guardCopy(jail: FsJail, args: unknown[], index: number): void {
  const given = args[index];
  const hasOptions = given !== null && typeof given === 'object';
  const options = hasOptions ? { ...(given as Record<string, unknown>) } : {};
  const filter = options.filter as AnyFunction | undefined;
  // Links copied as links get their absolute target: a verbatim relative one may point out.
  options.verbatimSymlinks = false;
  options.filter = (source: string, destination: string) => {
    jail.path(source, 'read');
    if (options.dereference !== true && isLink(source)) jail.copiedLink(source, destination);
    else jail.path(destination, 'write');
    return typeof filter === 'function' ? filter(source, destination) : true;
  };
  if (hasOptions || given === undefined) args[index] = options;
  else args.splice(index, 0, options);
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** `new fs.ReadStream(path)`: the stream classes take a path too. */
function jailedClass(jail: FsJail, Host: new (...args: unknown[]) => object, kind: ArgKind): unknown {
  function JailedStream(this: unknown, ...args: unknown[]): object {
    checkArgument(jail, kind, args, 0);
    const target = new.target === undefined || new.target === JailedStream ? Host : new.target;
    return Reflect.construct(Host, args, target);
  }
  JailedStream.prototype = Host.prototype;
  Object.defineProperty(JailedStream, 'name', { value: Host.name });
  return JailedStream;
}

/**
 * The `fs` and `fs/promises` scripts get: Node's, each function generated from the lists of
 * fs-functions.ts around a check by the jail (jail.ts). Built in the host realm once per runner
 * thread, handed to vm2 as the sandbox's `fs`, `node:fs`, `fs/promises` (`require.mock`).
 * Every path crosses as the real path the jail checked, never as the script's object, so a value
 * that answers differently the second time it is read cannot pass the check.
 */
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import {
  FS_ASYNC_ONLY,
  FS_FUNCTIONS,
  FS_PATH_FREE,
  FS_STREAM_CLASSES,
  PROMISES_FUNCTIONS,
  PROMISES_PATH_FREE,
  type ArgKind,
} from './fs-functions.js';
import { FsJail, type Access, type FsJailSettings } from './jail.js';
import { boundedRead } from './buffer-bound.js';

type AnyFunction = (...args: unknown[]) => unknown;
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
  const call = (args: unknown[], file: unknown): unknown => {
    if (name === 'open') return opened(jail, fn, args, style);
    if (name === 'close') jail.closed(args[0]);
    const read = () => Reflect.apply(fn, undefined, args);
    if (name === 'readFile') return boundedRead(read, args, style, file, maxBufferBytes);
    return Reflect.apply(fn, undefined, args);
  };
  return function jailedFsFunction(...args: unknown[]): unknown {
    // The path as the script gave it, for messages (the check replaces it with the real path).
    const file = args[0];
    try {
      // Last first: a link's target is read against where the link goes (`symlink(target, path)`).
      for (let index = kinds.length - 1; index >= 0; index--) checkArgument(jail, kinds[index] as ArgKind, args, index);
    } catch (error) {
      if (style === 'promise') return Promise.reject(error);
      const callback = args.at(-1);
      if (style === 'callback' && typeof callback === 'function' && name !== 'exists') {
        process.nextTick(callback as AnyFunction, error);
        return undefined;
      }
      throw error;
    }
    return call(args, file);
  };
}

/** `open`, its descriptor remembered by the jail as one the scripts may use. */
function opened(jail: FsJail, fn: AnyFunction, args: unknown[], style: Style): unknown {
  if (style === 'sync') {
    const fd = Reflect.apply(fn, undefined, args) as number;
    jail.opened(fd);
    return fd;
  }
  if (style === 'promise') {
    return (Reflect.apply(fn, undefined, args) as Promise<{ fd: number }>).then((handle) => {
      jail.opened(handle.fd);
      return handle;
    });
  }
  const callback = args.at(-1);
  if (typeof callback === 'function') {
    args[args.length - 1] = (error: Error | null, fd: number) => {
      if (!error) jail.opened(fd);
      (callback as AnyFunction)(error, fd);
    };
  }
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
      return jail.fd(value);
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
      if (fd !== undefined && fd !== null) return jail.fd(typeof fd === 'object' ? (fd as { fd: unknown }).fd : fd);
      const flags = typeof options === 'object' ? options.flags : undefined;
      args[index] = jail.path(value, kind === 'ws' ? 'write' : flagAccess(flags));
      return;
    }
    case 't':
      args[index] = jail.linkTarget(value, args[index + 1] as string);
      return;
    case 'cp':
      return guardCopy(jail, args, index);
    default: {
      const unknown: never = kind;
      throw new Error(`unknown fs argument kind ${String(unknown)}`);
    }
  }
}

/** A path, or a descriptor (a number, or a FileHandle of fs.promises, by its fd). */
function pathOrDescriptor(jail: FsJail, args: unknown[], index: number, access: Access): void {
  const value = args[index];
  if (typeof value === 'number') return jail.fd(value);
  const fd = value !== null && typeof value === 'object' ? (value as { fd?: unknown }).fd : undefined;
  if (typeof fd === 'number') return jail.fd(fd);
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
  options.filter = (source: string, destination: string) => {
    jail.path(source, 'read');
    jail.path(destination, 'write');
    return typeof filter === 'function' ? filter(source, destination) : true;
  };
  if (hasOptions || given === undefined) args[index] = options;
  else args.splice(index, 0, options);
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

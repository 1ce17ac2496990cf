/**
 * The routes from a number to a socket the script did not open, closed in the facades of net,
 * http, https, tls, http2, dgram and tty (node-modules.ts). A worker thread shares its process's
 * descriptors: `new net.Socket({ fd })` wraps the server's listening socket or a visitor's
 * connection, and `server.listen({ fd })` then accepts about half of the server's connections
 * (and reads every visitor's cookies). Refused wherever Node hands them to a socket or a server:
 * the `fd`, `handle` and `_handle` options (and a bare number) of `net.Socket`/`net.Stream`,
 * `connect`, `createConnection`, `listen` of every server these modules make, `request`, `get`,
 * `ClientRequest`, an `Agent`'s `createConnection`, `http2.connect`, a dgram socket's `bind`,
 * tty's `ReadStream` and `WriteStream`;
 * and `net._createServerHandle`/`dgram._createSocketHandle`, which open a descriptor as a handle.
 * A plain options object is copied (its getters read once, no prototype), so that Node reads the
 * values that were checked.
 * Not a wall: a host class or method reached through a returned object (`socket.constructor`,
 * `Object.getPrototypeOf(server).listen`) is Node's own, and deliberate code can still get there.
 */
import { checkingFds as checking, fdRefusal } from '../fd-options.js';
import { boot } from './boot.js';

type Callback = (...args: unknown[]) => unknown;
type Module = Record<string, unknown>;
type Constructor = new (...args: unknown[]) => object;

/** `Host` as a function that checks its arguments, called with or without `new` (as Node's are). */
function checkingClass(Host: Constructor, what: string, numberIsFd: boolean, guard: (made: object) => void): Callback {
  const check = checking((...args: unknown[]) => Reflect.construct(Host, args), what, numberIsFd);
  // A function, not an arrow: scripts call it with `new`.
  function made(...args: unknown[]): object {
    const instance = check(...args) as object;
    guard(instance);
    return instance;
  }
  made.prototype = Host.prototype;
  // `socket instanceof net.Socket` stays true (a host object's prototype is another proxy here).
  Object.defineProperty(made, Symbol.hasInstance, { value: (value: unknown) => value instanceof Host });
  return made;
}

// The host sets these methods: vm2 lets a script set no property on a host object.
const guardListen = (server: object) => boot.guardFdMethod(server, 'listen');
const guardAgent = (agent: object) => boot.guardFdMethod(agent, 'createConnection');
const guardBind = (socket: object) => boot.guardFdMethod(socket, 'bind');

/** `facade[key]`, a function, with what it returns guarded. */
function guardResult(facade: Module, key: string, guard: (made: object) => void): void {
  const fn = facade[key];
  if (typeof fn !== 'function') return;
  facade[key] = (...args: unknown[]) => {
    const made = (fn as Callback)(...args) as object;
    guard(made);
    return made;
  };
}

type Guard = (made: object) => void;
function wrapClass(facade: Module, host: Module, key: string, numberIsFd: boolean, guard: Guard): void {
  if (typeof host[key] === 'function') {
    const what = `new ${key}`;
    facade[key] = checkingClass(host[key] as Constructor, what, numberIsFd, guard);
  }
}

/** Closes the fd and handle routes of module `name`'s `facade` (a copy of `host`, maybe wrapped). */
export function closeFdRoutes(name: string, facade: Module, host: Module): void {
  const check = (key: string) => {
    if (typeof facade[key] === 'function') facade[key] = checking(facade[key] as Callback, `${name}.${key}`);
  };
  // What opens nothing but a descriptor (called or constructed).
  const refuse = (key: string) => {
    if (!(key in facade)) return;
    facade[key] = function refused() {
      throw fdRefusal(`${name}.${key}()`);
    };
  };
  if (name === 'tty') {
    // Both take nothing but a descriptor. (Not a forbidden module: packages such as debug and
    // supports-color require it for `isatty`.)
    refuse('ReadStream');
    refuse('WriteStream');
    return;
  }
  if (name === 'dgram') {
    refuse('_createSocketHandle');
    guardResult(facade, 'createSocket', guardBind);
    wrapClass(facade, host, 'Socket', false, guardBind);
    return;
  }
  refuse('_createServerHandle');
  for (const key of ['createServer', 'createSecureServer']) guardResult(facade, key, guardListen);
  wrapClass(facade, host, 'Server', false, guardListen);
  if (name === 'net') {
    for (const key of ['connect', 'createConnection']) check(key);
    wrapClass(facade, host, 'Socket', true, () => {});
    facade.Stream = facade.Socket;
  }
  if (name === 'http' || name === 'https') {
    for (const key of ['request', 'get']) check(key);
    wrapClass(facade, host, 'ClientRequest', false, () => {});
    wrapClass(facade, host, 'Agent', false, guardAgent);
    if (host.globalAgent !== null && typeof host.globalAgent === 'object') {
      // The host's agent behind one own method (the sandbox has no Proxy): the app's own requests
      // never run a script's check.
      const agent = host.globalAgent as { createConnection: Callback };
      const createConnection = checking((...args) => agent.createConnection(...args), 'globalAgent.createConnection');
      facade.globalAgent = Object.create(agent, { createConnection: { value: createConnection, writable: true } });
    }
  }
  if (name === 'http2') check('connect');
}

/**
 * The check behind prelude/fd-routes.ts, in either realm (the sandbox's facades, and the host's
 * own methods set on the servers, sockets and agents a script made: vm2 lets a script set no
 * property on a host object). An argument that names a descriptor or a handle is refused.
 */
type Callback = (...args: unknown[]) => unknown;

const ROUTES = ['fd', 'handle', '_handle'] as const;

export function fdRefusal(what: string): Error {
  return new Error(
    `${what} is refused: a Pagewire script may not wrap a descriptor or a handle it did not open (its thread ` +
      "shares the server's: the server's listening socket, other visitors' connections). Open your own socket " +
      '(net.connect({ host, port })) or server (server.listen(port)); the fd and handle options are not for scripts.',
  );
}

/**
 * `value` as Node may read it, refused if it names a descriptor or a handle. A plain object (of
 * either realm) is copied without a prototype, its getters read once: Node reads what was checked.
 */
export function withoutFd(value: unknown, what: string, numberIsFd = false): unknown {
  if (typeof value === 'number' && numberIsFd) throw fdRefusal(`${what}(${value})`);
  if (value === null || typeof value !== 'object') return value;
  const proto: unknown = Object.getPrototypeOf(value);
  const plain = proto === null || Object.getPrototypeOf(proto) === null;
  const options = plain ? Object.assign(Object.create(null) as object, value) : value;
  for (const key of ROUTES) {
    if ((options as Record<string, unknown>)[key] !== undefined) throw fdRefusal(`${what}({ ${key} })`);
  }
  return options;
}

/** `fn` with each argument but functions checked (`numberIsFd`: a first argument number is a descriptor). */
export function checkingFds(fn: Callback, what: string, numberIsFd = false): Callback {
  return function (this: unknown, ...args: unknown[]) {
    const checked = args.map((arg, i) =>
      typeof arg === 'function' ? arg : withoutFd(arg, what, numberIsFd && i === 0),
    );
    return fn.apply(this, checked);
  };
}

/** The methods that take a descriptor or a handle, on what a script's facades made. */
export const FD_METHODS = { listen: 'server.listen', bind: 'socket.bind', createConnection: 'agent.createConnection' };

/**
 * Host side: sets `target[key]` (a method of `FD_METHODS`) to its checked self, as an own
 * property of the host object a script made.
 */
export function guardFdMethod(target: object, key: string): void {
  if (!Object.hasOwn(FD_METHODS, key)) return;
  const method = (target as Record<string, unknown>)[key];
  if (typeof method !== 'function') return;
  Object.defineProperty(target, key, {
    value: checkingFds(method as Callback, FD_METHODS[key as keyof typeof FD_METHODS]),
    writable: true,
    configurable: true,
  });
}

/**
 * Bytes made in the sandbox, on their way to a host function. A sandbox `Uint8Array` reaches the
 * host as a vm2 proxy, which is no typed array to the host's checks: `TextDecoder.decode`,
 * `crypto.subtle.digest` refuse it, `new Blob([bytes])` writes "104,105". So the web globals that
 * take bytes (web-globals.ts) copy them into host bytes first. Host values pass as they are.
 */
import { boot } from './boot.js';

const CHUNK = 0x2000;

/** Sandbox bytes (an ArrayBuffer or a view) as host bytes; anything else unchanged. */
export function hostBytes(value: unknown): unknown {
  let view: Uint8Array;
  // Only the sandbox's own buffers and views have the internal slots these checks read; a host
  // value behind vm2's proxy does not, and needs no copy.
  if (value instanceof ArrayBuffer && isOwnBuffer(value)) view = new Uint8Array(value);
  else if (ArrayBuffer.isView(value)) view = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  else return value;
  let latin1 = '';
  for (let i = 0; i < view.length; i += CHUNK) {
    latin1 += String.fromCharCode.apply(null, view.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return boot.web.bytes(latin1);
}

function isOwnBuffer(buffer: ArrayBuffer): boolean {
  try {
    // Reads the [[ArrayBufferByteLength]] slot: throws for a proxy.
    Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')?.get?.call(buffer);
    return true;
  } catch {
    return false;
  }
}

/**
 * Arguments for a host function: bytes copied, in arrays and plain objects too (one level). An
 * argument holding no sandbox bytes is passed as it is (a host `CryptoKey` must stay itself).
 */
export function hostArguments(args: readonly unknown[]): unknown[] {
  return args.map((arg) => {
    if (Array.isArray(arg)) {
      const copy = arg.map(hostBytes);
      return copy.some((item, i) => item !== arg[i]) ? copy : arg;
    }
    if (arg !== null && typeof arg === 'object' && Object.getPrototypeOf(arg) === Object.prototype) {
      let copy: Record<string, unknown> | undefined;
      for (const [key, value] of Object.entries(arg)) {
        const converted = hostBytes(value);
        if (converted !== value) {
          copy ??= { ...arg };
          copy[key] = converted;
        }
      }
      return copy ?? arg;
    }
    return hostBytes(arg);
  });
}

/**
 * A host class whose constructor takes bytes: the script's bytes are copied on the way in. A
 * function rather than a Proxy (vm2 leaves the sandbox none): `new` returns the host's instance;
 * `instanceof` and static methods (`Response.json`) are the host class's.
 */
export function takingBytes<T extends abstract new (...args: never[]) => unknown>(hostClass: T): T {
  const Host = hostClass as unknown as new (...args: unknown[]) => object;
  function WithBytesCopied(this: unknown, ...args: unknown[]): object {
    if (new.target === undefined) throw new TypeError(`Class constructor ${Host.name} cannot be invoked without 'new'`);
    return new Host(...hostArguments(args));
  }
  Object.defineProperty(WithBytesCopied, 'name', { value: Host.name });
  WithBytesCopied.prototype = Host.prototype;
  Object.setPrototypeOf(WithBytesCopied, Host);
  return WithBytesCopied as unknown as T;
}

/** The methods of a host object (`crypto.subtle`) with the script's bytes copied on the way in. */
export function methodsTakingBytes<T extends object>(host: T, methods: readonly (keyof T & string)[]): T {
  const wrapped = Object.create(host) as Record<string, unknown>;
  for (const name of methods) {
    const method = host[name] as (...args: unknown[]) => unknown;
    wrapped[name] = (...args: unknown[]) => method.apply(host, hostArguments(args));
  }
  return Object.freeze(wrapped) as T;
}

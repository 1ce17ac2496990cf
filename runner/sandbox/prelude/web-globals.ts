/**
 * The web platform's globals, as in Node 20 and as `@types/node` declares them (the list
 * test/script-globals.test.ts checks against types/script-globals.d.ts). Most are the host's own
 * (host-web.ts), across vm2's bridge; made here are those that must be: `structuredClone` (in
 * this realm), `fetch` (per page), `crypto` and the classes that take bytes (bytes made here are
 * copied for the host), `queueMicrotask` (guarded), and stand-ins that say why for what a script
 * may not have.
 */
import type { webcrypto } from 'node:crypto';
import { boot, sandboxGlobals } from './boot.js';
import { currentPage } from './current-page.js';
import { guard } from './errors.js';
import { hostBytes, methodsTakingBytes, takingBytes } from './host-bytes.js';
import { fetchFor } from './page-fetch.js';
import { structuredClone } from './structured-clone.js';

type HostClass = abstract new (...args: never[]) => unknown;

const TAKING_BYTES = ['Blob', 'File', 'Request', 'Response'];

/** Declared by Node's types, but not for scripts: a clear error instead of a ReferenceError. */
const REFUSED: Record<string, string> = {
  BroadcastChannel:
    'BroadcastChannel is not available to Pagewire scripts: it reaches every thread of the server. ' +
    "Use page.channel(name) to talk between pages, or the host's wire.publish(channel, data).",
  WebSocket: 'WebSocket is not available in Node 20 (it came in Node 22): import the ws package instead.',
  EventSource: 'EventSource is not available in Node 20 (it came in Node 22): fetch the stream and read its body.',
};

export function installWebGlobals(): void {
  const { globals } = boot.web;
  for (const [name, value] of Object.entries(globals)) {
    sandboxGlobals[name] = TAKING_BYTES.includes(name) ? takingBytes(value as HostClass) : value;
  }
  sandboxGlobals.TextDecoder = textDecoderClass(globals.TextDecoder as typeof TextDecoder);
  for (const [name, message] of Object.entries(REFUSED)) {
    if (name in globals) continue;
    sandboxGlobals[name] = {
      [name]: class {
        constructor() {
          throw new Error(message);
        }
      },
    }[name];
  }
  sandboxGlobals.crypto = sandboxCrypto();
  sandboxGlobals.structuredClone = structuredClone;
  sandboxGlobals.fetch = (...args: Parameters<typeof fetch>) => fetchFor(currentPage())(...args);
  sandboxGlobals.queueMicrotask = (fn: () => unknown) => {
    if (typeof fn !== 'function') throw new TypeError('queueMicrotask() needs a function');
    void Promise.resolve().then(() => guard(currentPage()?.id, 'TIMER_ERROR', fn));
  };
  // `gc` is declared `GCFunction | undefined`: Node has it only with --expose-gc.
  sandboxGlobals.gc = undefined;
  // vm2 adds Node's old aliases of `global`, which Node 20 no longer has.
  delete sandboxGlobals.GLOBAL;
  delete sandboxGlobals.root;
}

const SUBTLE_METHODS = [
  'decrypt',
  'deriveBits',
  'deriveKey',
  'digest',
  'encrypt',
  'exportKey',
  'generateKey',
  'importKey',
  'sign',
  'unwrapKey',
  'verify',
  'wrapKey',
] as const;

/** `TextDecoder` around the host's, whose `decode` refuses bytes made in the sandbox. */
function textDecoderClass(Host: typeof TextDecoder) {
  return class TextDecoder {
    readonly #decoder: InstanceType<typeof Host>;
    constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }) {
      this.#decoder = new Host(label, options);
    }
    get encoding(): string {
      return this.#decoder.encoding;
    }
    get fatal(): boolean {
      return this.#decoder.fatal;
    }
    get ignoreBOM(): boolean {
      return this.#decoder.ignoreBOM;
    }
    decode(input?: unknown, options?: { stream?: boolean }): string {
      return this.#decoder.decode(hostBytes(input) as Uint8Array | undefined, options);
    }
  };
}

/** The host's `crypto`, with bytes the script made going in and random bytes coming back. */
function sandboxCrypto(): webcrypto.Crypto {
  const host = boot.web.crypto;
  const subtle = methodsTakingBytes(host.subtle, SUBTLE_METHODS);
  return Object.freeze({
    subtle,
    randomUUID: () => host.randomUUID(),
    getRandomValues<T extends ArrayBufferView | null>(array: T): T {
      const integers = !(array instanceof DataView || array instanceof Float32Array || array instanceof Float64Array);
      if (!ArrayBuffer.isView(array) || !integers) {
        const error = new TypeError(
          'crypto.getRandomValues() needs an integer typed array (Uint8Array, Int32Array...)',
        );
        error.name = 'TypeMismatchError';
        throw error;
      }
      const random = boot.web.random(array.byteLength);
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      for (let i = 0; i < bytes.length; i++) bytes[i] = random.charCodeAt(i);
      return array;
    },
  }) as unknown as webcrypto.Crypto;
}

/**
 * The web platform's globals a sandbox gets from the host (Node's own URL, fetch, TextEncoder...),
 * handed to the prelude once per sandbox (`SandboxBoot.web`); `prelude/web-globals.ts` installs
 * them. They cross vm2's bridge: a script's `new URL(...)` is the host's class behind a proxy.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { webcrypto } from 'node:crypto';
import type { HostWeb, PageContext } from './api.js';

/**
 * Host globals handed over as they are: every web global Node 20 has and `@types/node` declares
 * (types/script-globals.d.ts references it), but those the prelude makes itself (`fetch`,
 * `crypto`, `structuredClone`, `queueMicrotask`) or refuses (`BroadcastChannel`).
 */
const HOST_WEB_GLOBALS = [
  'AbortController',
  'AbortSignal',
  'Blob',
  'ByteLengthQueuingStrategy',
  'CompressionStream',
  'CountQueuingStrategy',
  'CustomEvent',
  'DOMException',
  'DecompressionStream',
  'Event',
  'EventSource',
  'EventTarget',
  'File',
  'FormData',
  'Headers',
  'MessageChannel',
  'MessageEvent',
  'MessagePort',
  'PerformanceEntry',
  'PerformanceMark',
  'PerformanceMeasure',
  'PerformanceObserver',
  'PerformanceObserverEntryList',
  'PerformanceResourceTiming',
  'ReadableByteStreamController',
  'ReadableStream',
  'ReadableStreamBYOBReader',
  'ReadableStreamBYOBRequest',
  'ReadableStreamDefaultController',
  'ReadableStreamDefaultReader',
  'Request',
  'Response',
  'TextDecoder',
  'TextDecoderStream',
  'TextEncoder',
  'TextEncoderStream',
  'TransformStream',
  'TransformStreamDefaultController',
  'URL',
  'URLSearchParams',
  'WebSocket',
  'WritableStream',
  'WritableStreamDefaultController',
  'WritableStreamDefaultWriter',
  'atob',
  'btoa',
  'performance',
] as const;

let web: HostWeb | undefined;

/** The same object for every sandbox of this thread: vm2 then makes one proxy per value. */
export function hostWeb(): HostWeb {
  if (web) return web;
  const globals: Record<string, unknown> = {};
  const host = globalThis as unknown as Record<string, unknown>;
  // Node 20 lacks WebSocket and EventSource (they came in Node 22): the prelude puts a stand-in.
  for (const name of HOST_WEB_GLOBALS) if (host[name] !== undefined) globals[name] = host[name];
  globals.atob = (data: string) => withPlainErrors(() => atob(data));
  globals.btoa = (data: string) => withPlainErrors(() => btoa(data));
  const made: HostWeb = {
    globals,
    fetch: (input, init) => fetch(input, init).catch((error: unknown) => Promise.reject(plainError(error))),
    crypto: webcrypto,
    // Bytes made in the sandbox are not typed arrays to the host's checks (a vm2 proxy is not a
    // view): they cross as a latin1 string and become host bytes here.
    bytes: (latin1) => new Uint8Array(Buffer.from(latin1, 'latin1')),
    random: (byteLength) =>
      withPlainErrors(() => Buffer.from(webcrypto.getRandomValues(new Uint8Array(byteLength))).toString('latin1')),
  };
  web = made;
  return made;
}

/**
 * A `DOMException` the host throws reaches the sandbox as an `Error` with no name and no message
 * (vm2 sanitizes it): the functions scripts call most (`fetch`'s AbortError) throw an `Error`
 * with the same name, message and cause instead.
 */
function plainError(error: unknown): unknown {
  if (!(error instanceof DOMException)) return error;
  const plain = new Error(error.message, { cause: error.cause });
  plain.name = error.name;
  return plain;
}

function withPlainErrors<T>(task: () => T): T {
  try {
    return task();
  } catch (error) {
    throw plainError(error);
  }
}

let context: PageContext | undefined;

/**
 * One `AsyncLocalStorage` per thread for every sandbox (each enabled one costs every async
 * operation a little): it holds the id of the page whose code runs (prelude/current-page.ts).
 */
export function pageContext(): PageContext {
  if (context) return context;
  const storage = new AsyncLocalStorage<string>();
  context = {
    current: () => storage.getStore(),
    enter: (pageId) => storage.enterWith(pageId as string),
  };
  return context;
}

/**
 * Why scripts' Buffers are bounded (`maxScriptBufferBytes`, vm2's `bufferAllocLimit`).
 *
 * Every Buffer a script holds is a host Buffer behind vm2's bridge, and the bridge checks each
 * host object the first time it crosses into the sandbox by reading all its own keys
 * (`containsDangerousConstructor` in vm2 3.12's lib/bridge.js): a Buffer of n bytes has n index
 * keys. Measured on Node 20 (bench/buffer-crossing.ts): 0.75 to 1.9 s of CPU and 64 MiB of V8 heap
 * per MiB of Buffer, the heap and a third of the time inside one `Reflect.ownKeys` call that
 * neither the watchdog's `worker.terminate()` nor the worker's heap limit can interrupt. A 16 MiB
 * Buffer ran V8 out of heap there, and V8's out-of-memory is fatal to the whole process, not only
 * to the worker (nodejs/node#47224). With the cap the allocation throws at once; vm2 caps
 * Buffer.alloc, allocUnsafe, allocUnsafeSlow, Buffer(n), Buffer.concat, Buffer.from(array),
 * ArrayBuffer and the typed arrays. Not capped: Buffer.from(string) and host functions that
 * return a Buffer (crypto.randomBytes, zlib); `fs.readFile` is bounded by the jail's facade.
 */

/** vm2's message for an allocation past the cap: `Buffer allocation size N exceeds bufferAllocLimit M`. */
const VM2_LIMIT = /exceeds bufferAllocLimit (\d+)/;

/** vm2's message, with Pagewire's option and what to do, for an allocation past the cap. */
export function explainBufferLimit(message: string, maxBytes: number): string {
  if (!VM2_LIMIT.test(message)) return message;
  return (
    `${message}: a script may hold at most maxScriptBufferBytes (${maxBytes} bytes) in one Buffer or typed array ` +
    '(a Buffer crosses the sandbox byte by byte, about 1 s a MiB). Work in pieces (streams, chunks), ' +
    'keep text as strings, or raise maxScriptBufferBytes'
  );
}

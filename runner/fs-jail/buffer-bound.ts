/**
 * `fs.readFile` without an encoding hands a script a host Buffer, and a host Buffer crosses vm2's
 * bridge key by key (README, "A script's memory, CPU and blast radius"): a few MiB hold the
 * worker for seconds, tens of MiB run V8 out of heap in one builtin call, which ends the process.
 * So a Buffer past `maxScriptBufferBytes` is refused here, before it crosses, with what to do.
 */

/** The error a script gets for a file read into a Buffer larger than the bound. */
export function bufferTooLarge(file: unknown, bytes: number, maxBytes: number): RangeError {
  const name = typeof file === 'string' ? `'${file}'` : String(file);
  const error = new RangeError(
    `fs.readFile(${name}) read ${bytes} bytes, more than maxScriptBufferBytes (${maxBytes} bytes), the largest ` +
      'Buffer a script may hold at once (a host Buffer crosses the sandbox byte by byte, about 1 s a MiB). ' +
      "Read it as text (fs.readFileSync(file, 'utf8')), in pieces (fs.createReadStream), or raise maxScriptBufferBytes",
  );
  return Object.assign(error, { code: 'ERR_SCRIPT_BUFFER_TOO_LARGE' });
}

/** `value` itself, or the error to give instead when it is a Buffer (or view) past `maxBytes`. */
function overBound(value: unknown, file: unknown, maxBytes: number): RangeError | undefined {
  return ArrayBuffer.isView(value) && value.byteLength > maxBytes
    ? bufferTooLarge(file, value.byteLength, maxBytes)
    : undefined;
}

/**
 * Holds a `readFile` of `fs` (style `sync`, `callback`) or `fs/promises` (`promise`) to
 * `maxBytes`: call `before` with its arguments (a callback's result is checked on its way to
 * the script), then `after` with what the call returned (a result, or its promise, checked).
 * Two halves, because the jail calls `readFile` in two ways (held open, or Node's own).
 * `file` is the path as the script gave it, for the message.
 */
export function readFileBound(style: 'sync' | 'callback' | 'promise', file: unknown, maxBytes: number) {
  return {
    before(args: unknown[]): void {
      const callback = args.at(-1);
      if (style !== 'callback' || typeof callback !== 'function') return;
      args[args.length - 1] = function boundCallback(this: unknown, ...results: unknown[]) {
        const tooLarge = results[0] ? undefined : overBound(results[1], file, maxBytes);
        return Reflect.apply(callback, this, tooLarge ? [tooLarge] : results);
      };
    },
    after(result: unknown): unknown {
      if (style === 'promise') {
        return (result as Promise<unknown>).then((data) => {
          const error = overBound(data, file, maxBytes);
          if (error) throw error;
          return data;
        });
      }
      const error = style === 'sync' ? overBound(result, file, maxBytes) : undefined;
      if (error) throw error;
      return result;
    },
  };
}

/**
 * vm2 lets a rejection that script code never handled reach the host process, where Node's
 * default ends the process (`(async () => { await null; throw e })()` in a script: see
 * RUNTIME-NOTES.md). A promise made inside a sandbox belongs to the sandbox's realm, so it is
 * not an instance of the host's `Promise`: that tells a script's rejection from the host's own.
 *
 * Script rejections are reported and swallowed. The host's own keep Node's default (the
 * process ends) unless the application listens for them itself. The worker-thread runner will
 * make this unnecessary.
 */
type Reporter = (text: string) => void;

const reporters = new Set<Reporter>();

function onUnhandledRejection(reason: unknown, promise: Promise<unknown>): void {
  if (promise instanceof Promise) {
    // The host's own rejection: behave as if we were not listening.
    if (process.listenerCount('unhandledRejection') === 1) {
      process.nextTick(() => {
        throw reason;
      });
    }
    return;
  }
  const text = `unhandled rejection in a script: ${describe(reason)} (await the promise, or add .catch())`;
  for (const report of reporters) report(text);
}

function describe(reason: unknown): string {
  // Read only `name` and `message`: formatting a sandbox error's stack from the host throws.
  if (reason !== null && typeof reason === 'object' && 'message' in reason) {
    const { name, message } = reason as { name?: unknown; message?: unknown };
    return `${typeof name === 'string' ? name : 'Error'}: ${String(message)}`;
  }
  return String(reason);
}

/** Starts reporting script rejections to `report`; returns the function that stops it. */
export function watchSandboxRejections(report: Reporter): () => void {
  if (reporters.size === 0) process.on('unhandledRejection', onUnhandledRejection);
  reporters.add(report);
  return () => {
    if (!reporters.delete(report)) return;
    if (reporters.size === 0) process.off('unhandledRejection', onUnhandledRejection);
  };
}

import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { WorkerData } from './worker-protocol.js';

/** What a worker's runner is told of the pool's settings (the pool's other settings are its own). */
export function runnerSettings(settings: WorkerData['settings']): WorkerData['settings'] {
  const { root, node, forbiddenModules, env, reservedEvents, maxQueuedEvents, maxResponseBytes, fsJail } = settings;
  const { maxScriptBufferBytes, maxSharedKeyBytes, maxSharedValueBytes } = settings;
  // The worker's runner guards its own thread; the pool's `guardProcess` is about the pool's.
  const bounds = { maxQueuedEvents, maxResponseBytes, maxScriptBufferBytes, maxSharedKeyBytes, maxSharedValueBytes };
  return { root, node, forbiddenModules, env, reservedEvents, fsJail, ...bounds };
}

/** Starts a worker thread on `worker-entry`, from the built code or from source. */
export function spawnWorker(data: WorkerData, resourceLimits: ResourceLimits): Worker {
  const options = { workerData: data, transferList: [data.sources], resourceLimits };
  return import.meta.url.endsWith('.ts')
    ? // Run from source (tests, tsx): a worker does not inherit tsx's loader, so it registers
      // it before it loads the TypeScript entry.
      new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => {` +
          ` register(); return import(${JSON.stringify(new URL('./worker-entry.ts', import.meta.url).href)}); })`,
        { ...options, eval: true },
      )
    : new Worker(new URL('./worker-entry.js', import.meta.url), options);
}

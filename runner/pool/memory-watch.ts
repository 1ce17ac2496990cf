import { getHeapStatistics } from 'node:v8';

/** How often a worker measures its memory, ms: a measure costs about 1 µs. */
export const MEMORY_CHECK_INTERVAL = 10;

export interface MemoryUse {
  heapBytes: number;
  /** `Buffer`s, `ArrayBuffer`s and other memory V8 counts outside its heap, for this thread alone. */
  externalBytes: number;
}

/**
 * This thread's memory, when it is past `limitBytes`. In a worker thread V8's statistics are the
 * worker's own isolate (process.memoryUsage() gives the same `external`, but reads the process's
 * RSS too, ten times slower). The heap counted is what V8 has committed; external memory includes
 * Buffers not yet collected, which V8 collects as external memory grows (about every 64 MiB).
 */
export function memoryOver(limitBytes: number): MemoryUse | undefined {
  const statistics = getHeapStatistics();
  const heapBytes = statistics.total_heap_size;
  const externalBytes = statistics.external_memory;
  return heapBytes + externalBytes > limitBytes ? { heapBytes, externalBytes } : undefined;
}

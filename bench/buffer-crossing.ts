// What a Buffer costs a script: every Buffer in a vm2 sandbox is a host Buffer, checked key by
// key (one key per byte) when it first crosses vm2's bridge. This times `Buffer.alloc(n)` in a
// NodeVM with Pagewire's settings but no bound, and a sandbox Uint8Array (which does not cross),
// and reads the V8 heap that `Reflect.ownKeys` of such a Buffer takes (the step nothing can
// interrupt). Not part of `npm run bench`; run it alone:
//   node --expose-gc --import tsx bench/buffer-crossing.ts [MiB...]
import { getHeapStatistics } from 'node:v8';
import { NodeVM } from 'vm2';

const MiB = 1024 * 1024;
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const vm = new NodeVM({ eval: false, wasm: false, strict: true, require: { builtin: ['buffer'], external: [] } });
/** Runs a sandbox function and times it from the host (vm2 hides `performance` from scripts). */
const timeIn = (make: () => { length: number }): [number, number] => {
  const start = performance.now();
  const made = make();
  return [performance.now() - start, made.length];
};
const sandboxMake = vm.run(`module.exports = {
  buffer: (n) => () => Buffer.alloc(n),
  typed: (n) => () => new Uint8Array(n),
};`) as Record<'buffer' | 'typed', (n: number) => () => { length: number }>;

for (const mib of sizes.length > 0 ? sizes : [0.25, 1, 2]) {
  const bytes = Math.round(mib * MiB);
  const [bufferMs] = timeIn(sandboxMake.buffer(bytes));
  const [typedMs] = timeIn(sandboxMake.typed(bytes));
  collect();
  const before = getHeapStatistics().used_heap_size;
  const keys = Reflect.ownKeys(Buffer.alloc(bytes));
  const heapMiB = (getHeapStatistics().used_heap_size - before) / MiB;
  console.log(
    `${mib} MiB: Buffer.alloc in the sandbox ${bufferMs.toFixed(0)} ms (${(bufferMs / mib).toFixed(0)} ms a MiB); ` +
      `Uint8Array ${typedMs.toFixed(1)} ms; ` +
      `Reflect.ownKeys of ${keys.length} keys holds ${heapMiB.toFixed(0)} MiB of heap`,
  );
}

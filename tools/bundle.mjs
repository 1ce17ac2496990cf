// `npm run build` step: bundles the two programs Pagewire does not run as Node modules, each
// into the one file that runs. Everything they import (protocol/, the prelude's modules) is
// inlined, so nothing compiles TypeScript for them at run time.
//
// - The browser client: a classic script (IIFE), served at /__pagewire/client.js and loaded
//   synchronously at the top of a live page; and the same code as an ES module, for
//   `import ... from 'pagewire/client'` (tsc writes only its declarations).
// - The sandbox prelude: a CommonJS script that vm2 runs once in every script sandbox.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');

const client = {
  absWorkingDir: root,
  entryPoints: ['client/server-socket.ts'],
  bundle: true,
  platform: 'browser',
  // Private class fields and `??=` stay as written: every browser with WebSocket and
  // `document.currentScript` that Pagewire supports runs ES2022.
  target: 'es2022',
  logLevel: 'warning',
};

const bundles = [
  {
    ...client,
    format: 'iife',
    outfile: 'dist/client/server-socket.iife.js',
    // Every browser downloads it once per version; names are kept so that an error in the
    // client still names its class and method in the browser's console.
    minify: true,
    keepNames: true,
  },
  { ...client, format: 'esm', outfile: 'dist/client/server-socket.js' },
  {
    absWorkingDir: root,
    entryPoints: ['runner/sandbox/prelude.ts'],
    bundle: true,
    // vm2's NodeVM runs it as a CommonJS module: its `require` is the sandbox's restricted one.
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: 'dist/runner/sandbox/prelude.cjs',
    logLevel: 'warning',
  },
];

await Promise.all(bundles.map((options) => build(options)));
for (const { outfile } of bundles) {
  console.log(`${outfile}  ${(statSync(path.join(root, outfile)).size / 1024).toFixed(1)} KB`);
}

// The build's bundling step (`npm run build` runs it after tsc; test/run.mjs runs it alone, so
// that tests never run a stale bundle): bundles the two programs Pagewire does not run as Node
// modules, each into the one file that runs. What they import (protocol/, the prelude's modules)
// is inlined, so nothing compiles TypeScript for them at run time.
//
// - The browser client: a classic script (IIFE), served at /__pagewire/client.js and loaded
//   synchronously at the top of a live page; and the same code as an ES module, for
//   `import ... from 'pagewire/client'` (tsc writes only its declarations). Its one dependency,
//   idiomorph (the DOM morph of client/dom-updates.ts), is inlined here: browsers get one file.
// - The sandbox prelude: a CommonJS script that vm2 runs once in every script sandbox.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');

const client = {
  entryPoints: ['client/server-socket.ts'],
  platform: 'browser',
  // Private class fields and `??=` stay as written: every browser with WebSocket and
  // `document.currentScript` that Pagewire supports runs ES2022.
  target: 'es2022',
};

const bundles = [
  {
    ...client,
    format: 'iife',
    outfile: 'dist/client/server-socket.iife.js',
    // Every browser downloads it once per version. Names are not kept (esbuild's keepNames cost
    // 0.9 KB gzipped, 6%, against the 15 KB budget): to read a client error with its names, load
    // the ES module build (`pagewire/client`), which is not minified.
    minify: true,
  },
  { ...client, format: 'esm', outfile: 'dist/client/server-socket.js' },
  {
    entryPoints: ['runner/sandbox/prelude/index.ts'],
    // vm2's NodeVM runs it as a CommonJS module: its `require` is the sandbox's restricted one.
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: 'dist/runner/sandbox/prelude.cjs',
  },
];

const results = await Promise.all(
  bundles.map((options) => build({ ...options, absWorkingDir: root, bundle: true, write: false, logLevel: 'warning' })),
);
for (const { outputFiles } of results) {
  for (const { path: file, text } of outputFiles) {
    let before;
    try {
      before = readFileSync(file, 'utf8');
    } catch {
      before = undefined;
    }
    // Unchanged, it is left alone; changed, it is replaced at once (a rename), so that a test
    // already running elsewhere never reads half a bundle.
    if (before !== text) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(`${file}.${process.pid}.tmp`, text);
      renameSync(`${file}.${process.pid}.tmp`, file);
    }
    // The served client's gzipped size is what a page pays (issue 15's target: at most 15 KB).
    const gzipped = file.endsWith('.iife.js') ? `, ${(gzipSync(text).length / 1024).toFixed(1)} KB gzipped` : '';
    console.log(`${path.relative(root, file)}  ${(Buffer.byteLength(text) / 1024).toFixed(1)} KB${gzipped}`);
  }
}

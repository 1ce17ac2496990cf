// First render of a script nobody requested yet: compile (sucrase), a new vm2 sandbox with its
// prelude, and the render itself; against a second render of the same script.
import { scriptsFolder } from '../test/helpers/fixtures.js';
import { startServer } from '../test/helpers/server.js';

const SCRIPT = (i: number) =>
  `import fs from 'node:fs';
const items = ['compile', 'sandbox', 'render'];
let clicks = 0;
echo(html\`<!doctype html><h1>Script ${i}</h1><ul>\${items.map((item) => html\`<li>\${item}</li>\`)}</ul>` +
  `<p>\${typeof fs.readFileSync}</p>\`);
function __serverSocketEvent(name: string) {
  if (name === 'click') server_socket_event('clicks', ++clicks);
}
`;

/** Milliseconds of a GET of `path`, its whole body read; throws unless it answered 200. */
export async function timedGet(origin: string, path: string): Promise<number> {
  const start = performance.now();
  const response = await fetch(`${origin}${path}`);
  await response.text();
  if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
  return performance.now() - start;
}

/** Milliseconds per first render and per warm render, `count` scripts, HTTP included. */
export async function measureFirstRender(count: number): Promise<{ first: number[]; warm: number[] }> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`s${i}.ts`] = SCRIPT(i);
  const folder = scriptsFolder(files);
  const server = await startServer({ dir: folder.dir });
  const first: number[] = [];
  const warm: number[] = [];
  const time = (path: string) => timedGet(server.url, path);
  try {
    // The prelude and the client script are read once per thread: not a script's cost.
    const threads = Math.max(1, server.wire.options.workers);
    for (let w = 0; w < threads; w++) await time('/s0');
    for (let i = 1; i < count; i++) {
      first.push(await time(`/s${i}`));
      // Pages spread over the workers, and each compiles a script the first time it renders it:
      // warm is once every worker has.
      for (let w = 1; w < threads; w++) await time(`/s${i}`);
      warm.push(await time(`/s${i}`));
    }
  } finally {
    await server.close();
    folder.remove();
  }
  return { first, warm };
}

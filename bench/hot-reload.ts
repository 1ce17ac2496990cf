// Hot reload: from a script's write until the open page, reloaded, shows the new content, in
// Chromium; and the memory of the process across many edit cycles of one script.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser } from '../test/helpers/browser.js';
import { scriptsFolder } from '../test/helpers/fixtures.js';
import { startServer } from '../test/helpers/server.js';

const page = (version: number) =>
  `echo('<!doctype html><h1 id="v">${version}</h1>');\nfunction __serverSocketEvent() {}\n`;

/** Milliseconds from each write to the reloaded page showing it. */
export async function measureHotReload(edits: number): Promise<number[]> {
  const folder = scriptsFolder({ 'page.ts': page(0) });
  // A short heartbeat: each reloaded page's join lasts (a ping answered after it) before the next
  // edit, as it does for a person who saves seconds apart. Edits faster than that would count as
  // reloads in a row, which the client delays, then stops after 10 (a page that never joins).
  const server = await startServer({ dir: folder.dir, dev: true, heartbeatInterval: 100 });
  await server.wire.ready();
  const browser = await launchBrowser();
  const times: number[] = [];
  try {
    const tab = await browser.newPage();
    await tab.goto(`${server.url}/page`);
    for (let version = 1; version <= edits; version++) {
      await tab.waitForFunction(() => document.serverSocket !== undefined);
      const reloadsOver = () => !Object.keys(sessionStorage).some((key) => key.startsWith('pagewire-reloads'));
      await tab.waitForFunction(reloadsOver, undefined, { polling: 20 });
      // A person saves again later than the watcher's atomic-rename window (100 ms).
      await new Promise((resolve) => setTimeout(resolve, 150));
      const loaded = tab.waitForEvent('load');
      const start = performance.now();
      writeFileSync(path.join(folder.dir, 'page.ts'), page(version));
      await loaded;
      const shown = await tab.textContent('#v');
      if (shown !== String(version)) throw new Error(`edit ${version}: the page shows ${shown}`);
      times.push(performance.now() - start);
    }
  } finally {
    await browser.close();
    await server.close();
    folder.remove();
  }
  return times;
}

/** Heap after a full GC, in bytes, after `cycles` edit-render cycles of one script (needs --expose-gc). */
export async function measureEditMemory(checkpoints: number[]): Promise<Array<{ cycles: number; heapUsed: number }>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const folder = scriptsFolder({ 'page.ts': page(0) });
  // Scripts in this thread: the heap measured must be the one that holds the sandboxes. (In a
  // worker, the same runner code lets them go.)
  const server = await startServer({ dir: folder.dir, dev: true, workers: 0 });
  await server.wire.ready();
  const results: Array<{ cycles: number; heapUsed: number }> = [];
  try {
    const last = Math.max(...checkpoints);
    for (let version = 1; version <= last; version++) {
      writeFileSync(path.join(folder.dir, 'page.ts'), page(version));
      // Until the new version renders: the old sandbox has been let go by then.
      for (;;) {
        const body = await (await fetch(`${server.url}/page`)).text();
        if (body.includes(`<h1 id="v">${version}</h1>`)) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (checkpoints.includes(version)) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 50));
        gc();
        results.push({ cycles: version, heapUsed: process.memoryUsage().heapUsed });
      }
    }
  } finally {
    await server.close();
    folder.remove();
  }
  return results;
}

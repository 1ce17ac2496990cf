import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appFolder } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * The goal of the samples: pages with no hand-written client JavaScript, only `pw-*` attributes
 * and the server's updates. The samples that still have some, and why; every other one must have none.
 */
const ALLOWED: Record<string, { lines: number; why: string }> = {
  'hello.ts': { lines: 2, why: "the original 2008 proposal's example, kept as it was written" },
  'talk.ts': { lines: 12, why: 'shows new ServerSocket(path), a separate script opened from page code' },
};

const SAMPLES = path.join(import.meta.dirname, '..', 'sample-scripts');
/** Every script of the samples, those in folders too (`widgets/clock.ts`), as paths under SAMPLES. */
const scripts = readdirSync(SAMPLES, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts'))
  .sort();
/** The pages among them (not partials); each is counted in its source. */
const pages = scripts.filter((file) => !path.basename(file).startsWith('_'));
/** The pages with a route of their own (`room/[name].ts` has none): counted in what they render too. */
const routed = pages.filter((file) => !file.includes('['));

/** Lines of client JavaScript in `text`: each non-blank line inside a `<script>`, and each `on*=` attribute. */
export function clientCodeLines(text: string): number {
  let lines = 0;
  for (const [, body] of text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script\s*>/gi)) {
    lines += (body ?? '').split('\n').filter((line) => line.trim() !== '').length;
  }
  for (const [tag] of text.matchAll(/<[a-z][\w-]*\b[^<>]*>/gi)) {
    lines += [...tag.matchAll(/\son[a-z]+\s*=/gi)].length;
  }
  return lines;
}

describe('client JavaScript in sample-scripts/', () => {
  it('counts what it is meant to count', () => {
    assert.equal(clientCodeLines('<p onclick="go()">x</p><script>\n  a();\n\n  b();\n</script>'), 3);
    assert.equal(clientCodeLines('<script src="/x.js"></script><button pw-click="add">'), 0);
    assert.equal(clientCodeLines('<p>online, on time</p>'), 0);
  });

  it('is none in every sample but those listed, in their source', (t) => {
    const counts = Object.fromEntries(
      pages.map((file) => [file, clientCodeLines(readFileSync(path.join(SAMPLES, file), 'utf8'))]),
    );
    t.diagnostic(`lines of client JavaScript per sample: ${JSON.stringify(counts)}`);
    console.log('lines of client JavaScript per sample:', counts);
    for (const file of pages)
      assert.equal(counts[file], ALLOWED[file]?.lines ?? 0, `${file}: ${ALLOWED[file]?.why ?? 'none allowed'}`);
    assert.ok(pages.length >= 10, pages.join(', '));
  });

  describe('and in the pages they render', () => {
    // The samples as an app's scripts, with the packages people.ts imports (it renders its page
    // that says no database is set).
    const samples = appFolder({
      scripts: Object.fromEntries(scripts.map((file) => [file, readFileSync(path.join(SAMPLES, file), 'utf8')])),
      linked: ['pg', 'pg-cursor'],
    });
    let server: TestServer;
    before(async () => {
      server = await startServer({ dir: samples.scripts, workers: 0 });
    });
    after(async () => {
      await server?.close();
      samples.remove();
    });

    it("is none but in the listed samples: no script but Pagewire's own client, no on* attribute", async () => {
      for (const file of routed) {
        const route = `/${file === 'index.ts' ? '' : file.replace(/\.ts$/, '')}`;
        const response = await fetch(`${server.url}${route}`);
        const body = await response.text();
        assert.equal(response.status, 200, `${route}: ${body.slice(0, 300)}`);
        // Pagewire's own client is a script with a src: not counted, as any script with a src.
        assert.equal(
          clientCodeLines(body),
          ALLOWED[file]?.lines ?? 0,
          `${route}: ${ALLOWED[file]?.why ?? 'none allowed'}`,
        );
      }
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pagewire, type PagewireOptions } from '../lib/index.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { startServer } from './helpers/server.js';

const folder = scriptsFolder({
  'env.ts': 'echo(JSON.stringify({ secret: process.env.PAGEWIRE_TEST_SECRET, names: Object.keys(process.env) }));\n',
});
after(() => folder.remove());

/** What the script sees, from a server in worker threads or (workers: 0) in this thread. */
async function seen(options: Partial<PagewireOptions>): Promise<{ secret?: string; names: string[] }> {
  const server = await startServer({ dir: folder.dir, ...options });
  try {
    return JSON.parse(await (await fetch(`${server.url}/env`)).text());
  } finally {
    await server.close();
  }
}

describe('the env option: the environment variables scripts see', () => {
  const saved = { secret: process.env.PAGEWIRE_TEST_SECRET, nodeEnv: process.env.NODE_ENV };
  before(() => {
    // Before any server starts: worker threads copy the environment when they start.
    process.env.PAGEWIRE_TEST_SECRET = 's3cret';
    process.env.NODE_ENV = 'test';
  });
  after(() => {
    for (const [name, value] of [
      ['PAGEWIRE_TEST_SECRET', saved.secret],
      ['NODE_ENV', saved.nodeEnv],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  for (const workers of [1, 0]) {
    it(`hides every variable but NODE_ENV by default (workers: ${workers})`, async () => {
      assert.deepEqual(await seen({ workers }), { names: ['NODE_ENV'] });
    });

    it(`shows the variables it lists (workers: ${workers})`, async () => {
      const env = ['NODE_ENV', 'PAGEWIRE_TEST_SECRET', 'PAGEWIRE_TEST_UNSET'];
      assert.deepEqual(await seen({ workers, env }), { secret: 's3cret', names: ['NODE_ENV', 'PAGEWIRE_TEST_SECRET'] });
    });
  }

  it('is checked at once: a list of names', () => {
    for (const env of ['DATABASE_URL', [''], ['A=B'], [1]]) {
      assert.throws(
        () => pagewire({ dir: folder.dir, workers: 0, env } as PagewireOptions),
        new RegExp(
          "^TypeError: pagewire\\(\\): 'env' must be a list of environment variable names, got .*" +
            "For example: pagewire\\(\\{ env: \\['NODE_ENV', 'DATABASE_URL'\\] \\}\\)$",
        ),
      );
    }
  });
});

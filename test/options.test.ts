import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  consoleLogger,
  DEFAULT_FORBIDDEN_MODULES,
  DEFAULT_OPTIONS,
  DEFAULT_STATIC_EXTENSIONS,
  pagewire,
  type PagewireOptions,
} from '../lib/index.js';
import { defaultWorkers } from '../lib/cluster/cluster-env.js';
import { processNodeId } from '../lib/cluster/node-id.js';
import { scriptsFolder } from './helpers/fixtures.js';

const root = path.join(import.meta.dirname, '..');
const folder = scriptsFolder({ 'index.ts': `echo('home');` });
after(() => folder.remove());

/** A default as code, the way the JSDoc's `@default` and the README's table write it. */
function asCode(name: string, value: unknown): string {
  const named: Record<string, [unknown, string]> = {
    workers: [defaultWorkers(), 'defaultWorkers()'],
    forbiddenModules: [DEFAULT_FORBIDDEN_MODULES, 'DEFAULT_FORBIDDEN_MODULES'],
    staticExtensions: [DEFAULT_STATIC_EXTENSIONS, 'DEFAULT_STATIC_EXTENSIONS'],
    logger: [consoleLogger, 'consoleLogger'],
    node: [processNodeId(), 'processNodeId()'],
  };
  const constant = named[name];
  if (constant) {
    assert.equal(value, constant[0], `DEFAULT_OPTIONS.${name} is ${constant[1]}`);
    return constant[1];
  }
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

const optionNames = Object.keys(DEFAULT_OPTIONS);
const shown = (value: unknown) => (typeof value === 'string' ? `'${value}'` : String(value));
// Quiet, and in this thread: what is checked here is the options, not the runner.
const base = {
  dir: folder.dir,
  workers: 0,
  logger: { debug() {}, info() {}, warn() {}, error() {} },
} satisfies PagewireOptions;

describe('DEFAULT_OPTIONS: one source for every default', () => {
  it('is frozen, and is what pagewire() resolves to', async () => {
    assert.ok(Object.isFrozen(DEFAULT_OPTIONS));
    assert.ok(Object.isFrozen(DEFAULT_OPTIONS.allowedOrigins));
    assert.throws(() => ((DEFAULT_OPTIONS as { maxPages: number }).maxPages = 1), TypeError);
    const wire = pagewire({ dir: folder.dir });
    try {
      assert.deepEqual({ ...wire.options }, { ...DEFAULT_OPTIONS, dir: folder.dir });
      assert.ok(Object.isFrozen(wire.options));
    } finally {
      await wire.close();
    }
  });

  it("the JSDoc's @default of each option says the same", () => {
    // The limits' JSDoc is in their own file, which PagewireOptions extends.
    const source = ['options.ts', 'limit-options.ts']
      .map((file) => readFileSync(path.join(root, 'lib', file), 'utf8'))
      .join('\n');
    const documented = new Map(
      [...source.matchAll(/@default ([^\n]+)\n\s*\*\/\n\s*(\w+)\?:/g)].map((m) => [
        m[2] as string,
        (m[1] as string).trim(),
      ]),
    );
    assert.deepEqual([...documented.keys()].sort(), [...optionNames].sort());
    for (const name of optionNames)
      assert.equal(documented.get(name), asCode(name, DEFAULT_OPTIONS[name as keyof typeof DEFAULT_OPTIONS]), name);
  });

  it("the README's options table says the same", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('### Options'), readme.indexOf('### The command line'));
    const rows = new Map(
      [...table.matchAll(/^\| `(\w+)` \| `([^`]+)`[^|]* \|/gm)].map((m) => [m[1] as string, m[2] as string]),
    );
    assert.deepEqual([...rows.keys()].sort(), [...optionNames].sort());
    for (const name of optionNames)
      assert.equal(rows.get(name), asCode(name, DEFAULT_OPTIONS[name as keyof typeof DEFAULT_OPTIONS]), name);
  });
});

describe('pagewire() options: checked at once', () => {
  const refuses = (options: Record<string, unknown>, message: RegExp) =>
    assert.throws(() => pagewire({ ...base, ...options } as PagewireOptions), message);

  it('durations, sizes and counts are positive whole numbers; the error names the option, the value and a fix', () => {
    const durations = ['connectTimeout', 'renderTimeout', 'disconnectTimeout', 'heartbeatInterval', 'watchdogTimeout'];
    const sizes = [
      'maxMessageBytes',
      'maxBodyBytes',
      'maxBufferedBytes',
      'maxTotalBufferedBytes',
      'maxWorkerHeapBytes',
    ];
    const counts = [
      'maxBufferedPushes',
      'maxPagesPerSession',
      'maxPages',
      'maxPendingPages',
      'maxDisconnectedPages',
      'maxEventsPerSecond',
      'maxQueuedEvents',
    ];
    for (const name of [...durations, ...sizes, ...counts]) {
      const unit = durations.includes(name) ? 'milliseconds' : sizes.includes(name) ? 'bytes' : 'whole number';
      const fallback = String(DEFAULT_OPTIONS[name as keyof typeof DEFAULT_OPTIONS]).replace(/\B(?=(\d{3})+$)/g, '_');
      const fix = `For example: pagewire\\(\\{ ${name}: ${fallback} \\}\\) \\(the default\\)`;
      for (const bad of [-1, 1.5, NaN, Infinity, '100']) {
        refuses(
          { [name]: bad },
          new RegExp(`: pagewire\\(\\): '${name}' must be a positive number.*${unit}.*, got ${shown(bad)}\\. ${fix}$`),
        );
      }
      refuses(
        { [name]: 0 },
        new RegExp(`'${name}' must be a positive number.*got 0\\. No option takes 0 to mean "off"`),
      );
    }
    refuses(
      { connectTimeout: 2 ** 31 },
      /'connectTimeout' must be a positive number of milliseconds, a whole number up to 2147483647 \(Node's timer/,
    );
  });

  it('idleTimeout is off with Infinity, not 0', async () => {
    refuses(
      { idleTimeout: 0 },
      /'idleTimeout' must be a positive number of milliseconds up to 2147483647, or Infinity.*got 0\. No option/,
    );
    refuses({ idleTimeout: -5 }, /'idleTimeout'/);
    for (const idleTimeout of [Infinity, 60_000]) {
      const wire = pagewire({ ...base, idleTimeout });
      assert.equal(wire.options.idleTimeout, idleTimeout);
      await wire.close();
    }
  });

  it('workers is a count: 0 runs scripts in this thread; fractions and negatives are refused', async () => {
    refuses(
      { workers: 1.5 },
      /'workers' must be a whole number of worker threads, or 0 \(scripts in the server's thread\), got 1\.5/,
    );
    refuses({ workers: -1 }, /'workers'/);
    const wire = pagewire({ ...base, workers: 0 });
    assert.equal(wire.options.workers, 0);
    await wire.close();
  });

  it('every other option is checked too', () => {
    refuses({ dev: 'yes' }, /'dev' must be true or false, got 'yes'/);
    refuses({ allowedOrigins: 'https://a.example' }, /'allowedOrigins' must be a list of origins/);
    refuses(
      { allowedOrigins: ['https://a.example/path'] },
      /allowedOrigins entries look like 'https:\/\/example\.com'.*got \[ 'https:\/\/a\.example\/path' \]/,
    );
    refuses({ forbiddenModules: ['fs', 3] }, /'forbiddenModules' must be a list of module names, got \[ 'fs', 3 \]/);
    refuses({ sessionCookie: 'a b' }, /'sessionCookie' must be a cookie name/);
    refuses({ logger: { info() {} } }, /'logger' must be an object with debug, info, warn and error methods/);
    refuses({ onError: 'log' }, /'onError' must be a function/);
    refuses({ renderErrors: 'throw' }, /'renderErrors' must be 'page' \(Pagewire's error page\) or 'next'/);
  });

  it('refuses an unknown option: a typo gets the closest name, a renamed one its new name', () => {
    refuses({ idleTimout: 1000 }, /: pagewire\(\): unknown option 'idleTimout'\. Did you mean 'idleTimeout'\?$/);
    refuses({ maxpages: 10 }, /Did you mean 'maxPages'\?/);
    refuses({ heartbeatIntervall: 10 }, /Did you mean 'heartbeatInterval'\?/);
    refuses(
      { workerMemory: 64 },
      /there is no option 'workerMemory' any more: it is 'maxWorkerHeapBytes, in bytes: workerMemory was in MB'/,
    );
    refuses({ disconnectGrace: 100 }, /it is 'disconnectTimeout \(ms\)'/);
    refuses({ banana: true }, /unknown option 'banana'\. The options are: dir, dev, allowedOrigins, allowedHosts/);
  });

  it('an option given as undefined takes its default', async () => {
    const wire = pagewire({ ...base, maxPages: undefined, logger: undefined });
    try {
      assert.equal(wire.options.maxPages, DEFAULT_OPTIONS.maxPages);
      assert.equal(wire.options.logger, consoleLogger);
    } finally {
      await wire.close();
    }
  });
});

/**
 * types/script-globals.d.ts declares exactly the globals a script's sandbox has: what `tsc`
 * accepts, a script can use; what a sandbox lacks, `tsc` refuses. Both lists are read from the
 * real things: a sandbox's global object, and what `tsc` itself declares with that file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { after, before, describe, it } from 'node:test';
import { SCRIPT_PARAMETERS } from '../runner/sandbox/script-globals.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { RunnerHarness } from './helpers/runner.js';

const repo = path.join(import.meta.dirname, '..');
const declarations = path.join(repo, 'types', 'script-globals.d.ts');
const tscBin = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

/** The globals of a fresh V8 context: the ES built-ins, and V8's `console` and `WebAssembly`. */
const esBuiltIns = new Set<string>(vm.runInNewContext('Object.getOwnPropertyNames(globalThis)'));

/**
 * In a sandbox but deliberately undeclared: vm2 compiles no WebAssembly (`wasm: false`), so the
 * namespace is there but useless, and neither `lib: es2023` nor Node's types declare it.
 */
const UNDECLARED = ['WebAssembly'];

/** What the sandbox has but no script is meant to see: the wrapped code's registration calls. */
const isPlumbing = (name: string) => name.startsWith('__pagewire');

let work: string;
before(() => {
  work = mkdtempSync(path.join(tmpdir(), 'pagewire-globals-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs `tsc` on one script, with or without the declarations, as a scripts folder would. */
function typecheck(source: string, withDeclarations = true): { ok: boolean; output: string } {
  writeFileSync(path.join(work, 'script.ts'), source);
  const compilerOptions = {
    target: 'es2022',
    module: 'preserve',
    moduleDetection: 'force',
    lib: ['es2023'],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    // The whole union of names, never "... and 60 more".
    noErrorTruncation: true,
  };
  const files = withDeclarations ? ['script.ts', declarations] : ['script.ts'];
  writeFileSync(path.join(work, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
  const run = spawnSync(process.execPath, [tscBin, '-p', work], { encoding: 'utf8' });
  return { ok: run.status === 0, output: run.stdout + run.stderr };
}

/** The names of `globalThis` as `tsc` types it: `var` and `function` declarations. */
function globalThisKeys(withDeclarations: boolean): Set<string> {
  const probe = 'const names: null = null as unknown as keyof typeof globalThis;\n';
  const { output } = typecheck(probe, withDeclarations);
  const union = /Type '(.*)' is not assignable to type 'null'/.exec(output)?.[1];
  assert.ok(union, `tsc did not list the names of globalThis:\n${output}`);
  return new Set(union.split(' | ').map((name) => name.replace(/^"|"$/g, '')));
}

/** Every global the declarations make usable in a script, beyond the `lib` option's. */
function declaredGlobals(lib: Set<string>): string[] {
  const names = [...globalThisKeys(true)].filter((name) => !lib.has(name));
  // `declare const` and `declare class` are not keys of `typeof globalThis`: read them from the file.
  const text = readFileSync(declarations, 'utf8');
  for (const [, name] of text.matchAll(/^declare (?:const|let|class) ([A-Za-z_$][\w$]*)/gm)) names.push(name as string);
  // A hook the script defines (the file types it), not a global a sandbox has.
  return [...new Set(names)].filter((name) => name !== '__serverSocketEvent').sort();
}

const folder = scriptsFolder({ 'globals.ts': 'echo(JSON.stringify(Object.getOwnPropertyNames(globalThis)));' });
const harness = new RunnerHarness(folder.dir);
after(async () => {
  await harness.runner.close();
  folder.remove();
});

/** The sandbox's global object, as a script lists it. */
async function sandboxGlobalObject(): Promise<string[]> {
  const { result } = await harness.render('globals.ts');
  assert.equal(result.type, 'rendered', JSON.stringify(result));
  return JSON.parse((result as { body: string }).body) as string[];
}

describe('script globals: the declarations and a real sandbox', () => {
  it('declare exactly the globals a sandbox has, both ways', async () => {
    const own = await sandboxGlobalObject();
    const lib = globalThisKeys(false);
    const typedByLib = (name: string) => esBuiltIns.has(name) && lib.has(name);
    // A page script also sees its per-page parameters (compile.ts), partials the same names.
    const parameters = SCRIPT_PARAMETERS.filter((name) => !isPlumbing(name));
    const sandbox = [...new Set([...own, ...parameters])].filter(
      (name) => !typedByLib(name) && !isPlumbing(name) && !UNDECLARED.includes(name),
    );
    const declared = declaredGlobals(lib);
    const missingInSandbox = declared.filter((name) => !sandbox.includes(name));
    const undeclared = sandbox.filter((name) => !declared.includes(name));
    assert.deepEqual(missingInSandbox, [], 'declared, but a sandbox lacks them: tsc accepts what fails');
    assert.deepEqual(undeclared, [], 'a sandbox has them, undeclared: add them to types/script-globals.d.ts');
    for (const name of [
      'URL',
      'fetch',
      'TextEncoder',
      'structuredClone',
      'crypto',
      'request',
      'html',
      'json',
      'console',
    ]) {
      assert.ok(declared.includes(name), name);
    }
  });

  it('the ES built-ins a sandbox lacks are the two vm2 removes (GHSA-r4fx-v8hh-22mv)', async () => {
    const own = new Set(await sandboxGlobalObject());
    assert.deepEqual(
      [...esBuiltIns].filter((name) => !own.has(name)),
      ['FinalizationRegistry', 'WeakRef'],
    );
  });

  it('tsc accepts the web platform globals and refuses what no sandbox has', () => {
    const uses = `const url = new URL('https://example.com/?q=1');
const bytes: Uint8Array = new TextEncoder().encode(url.searchParams.get('q') ?? '');
const copy = structuredClone({ at: new Date() });
const id: string = crypto.randomUUID();
const controller = new AbortController();
void fetch(url, { signal: AbortSignal.any([controller.signal]) }).then((r: Response) => r.json());
void new Blob([bytes]).text();
queueMicrotask(() => echo(atob(btoa(id)), performance.now(), copy.at, new FormData(), new Headers()));
new EventTarget().dispatchEvent(new Event('x'));
echo(html\`<p>\${request.path}</p><script>const query = \${json(request.query)};</script>\`);
const data: string = json({ at: 1 }).value;
`;
    const accepted = typecheck(uses);
    assert.ok(accepted.ok, accepted.output);
    for (const [source, name] of [
      ['new Foo();', 'Foo'],
      ['document.title = "x";', 'document'],
      ['localStorage.clear();', 'localStorage'],
      ['navigator.userAgent;', 'navigator'],
    ] as const) {
      const refused = typecheck(source);
      assert.equal(refused.ok, false, source);
      assert.match(refused.output, new RegExp(`Cannot find name '${name}'`));
    }
  });
});

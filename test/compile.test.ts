import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { compileTypeScript } from '../runner/compile.js';
import { ScriptError, codeFrame } from '../runner/script-error.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { RunnerHarness } from './helpers/runner.js';

describe('compile', () => {
  it('keeps every line on its line number', () => {
    const source = [
      "import { a } from './_a';",
      'type T = { x: number };',
      'const v: T = { x: 1 };',
      'export const w = v;',
      "throw new Error('line 5');",
      '',
    ].join('\n');
    const lines = compileTypeScript(source, 'lines.ts').code.split('\n');
    assert.match(lines[4] as string, /throw new Error\('line 5'\)/);
    // Removed types shift columns; the source map brings them back.
    const typed = 'const n = (null as unknown as { x: number }).x;';
    const compiled = compileTypeScript(typed, 'cols.ts');
    assert.equal(compiled.sourceColumn(1, compiled.code.indexOf('.x') + 1), typed.indexOf('.x') + 1);
    assert.equal(compiled.sourceColumn(1, compiled.code.indexOf('x;') + 1), typed.indexOf('x;') + 1);
  });

  it('reports a syntax error with file, line and column, and a code frame', () => {
    assert.throws(
      () => compileTypeScript('let a = 1;\nlet b: number = ;\n', 'bad.ts'),
      (error: unknown) => {
        assert.ok(error instanceof ScriptError);
        assert.equal(error.info.code, 'COMPILE_ERROR');
        assert.equal(error.info.file, 'bad.ts');
        assert.equal(error.info.line, 2);
        assert.equal(error.info.column, 17);
        assert.match(error.message, /^bad\.ts:2:17 SyntaxError: Unexpected token/);
        assert.match(error.info.frame ?? '', /> 2 \| let b: number = ;\n +\| {17}\^/);
        return true;
      },
    );
  });

  it('codeFrame marks the line and column', () => {
    assert.equal(codeFrame('a\nbb\nccc\n', 2, 2, 1), '  1 | a\n> 2 | bb\n    |  ^\n  3 | ccc');
  });
});

describe('errors in scripts name file:line:col', () => {
  const folder = scriptsFolder({
    'syntax.ts': "echo('fine');\nlet x = 1;\nlet x = 2;\n",
    'first-line.ts': 'const boom = (null as unknown as { x: number }).x;',
    'render-throws.ts': "echo('start');\n\nfunction helper() {\n  throw new RangeError('bad range');\n}\nhelper();\n",
    'bad-partial.ts': "import { f } from './_broken';\necho(f());\n",
    '_broken.ts': 'export function f() {\n  return 1 +;\n}\n',
    'missing-partial.ts': "import { g } from './_nope';\necho(g());\n",
  });
  const harness = new RunnerHarness(folder.dir);
  after(async () => {
    await harness.runner.close();
    folder.remove();
  });

  it('a syntax error V8 finds', async () => {
    const { result } = await harness.render('syntax.ts');
    assert.equal(result.type, 'render-failed');
    assert.equal(result.type === 'render-failed' && result.error.code, 'COMPILE_ERROR');
    assert.deepEqual(result.type === 'render-failed' && [result.error.file, result.error.line, result.error.column], [
      'syntax.ts',
      3,
      5,
    ]);
    assert.match(
      result.type === 'render-failed' ? result.error.message : '',
      /Identifier 'x' has already been declared/,
    );
  });

  it('a throw on line 1 has the column of the script, not of the wrapper', async () => {
    const { result } = await harness.render('first-line.ts');
    assert.ok(result.type === 'render-failed');
    assert.equal(result.error.code, 'RENDER_ERROR');
    assert.deepEqual([result.error.file, result.error.line, result.error.column], ['first-line.ts', 1, 49]);
  });

  it('a throw in a function points at the throw, with a stack of script frames', async () => {
    const { result } = await harness.render('render-throws.ts');
    assert.ok(result.type === 'render-failed');
    assert.equal(result.error.name, 'RangeError');
    assert.deepEqual([result.error.file, result.error.line, result.error.column], ['render-throws.ts', 4, 9]);
    assert.match(result.error.stack ?? '', /at helper \(render-throws\.ts:4:9\)\n +at render-throws\.ts:6:1/);
    assert.match(result.error.frame ?? '', /> 4 \| {3}throw new RangeError/);
  });

  it('a partial that does not compile is named, with the importing line', async () => {
    const { result } = await harness.render('bad-partial.ts');
    assert.ok(result.type === 'render-failed');
    assert.deepEqual([result.error.file, result.error.line], ['_broken.ts', 2]);
    assert.match(result.error.stack ?? '', /bad-partial\.ts:1/);
  });

  it('a missing partial says which file it looked for', async () => {
    const { result } = await harness.render('missing-partial.ts');
    assert.ok(result.type === 'render-failed');
    assert.match(
      result.error.message,
      /Cannot import '\.\/_nope' in missing-partial\.ts: no file _nope\.ts or _nope\/index\.ts/,
    );
    assert.deepEqual([result.error.file, result.error.line], ['missing-partial.ts', 1]);
  });
});

describe('html escaping', () => {
  const folder = scriptsFolder({
    'escape.ts': [
      'const evil = request.query.q as string;',
      "const items = ['<a>', '&b'];",
      'echo(html`<p title="${evil}">${evil}</p>`);',
      'echo(html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`);',
      "echo(html`${raw('<b>bold</b>')}|${null}|${undefined}|${false}|${0}`);",
      "echo('<i>echo is raw</i>');",
      "echo(String(html`<x>${'<'}</x>`));",
    ].join('\n'),
  });
  const harness = new RunnerHarness(folder.dir);
  after(async () => {
    await harness.runner.close();
    folder.remove();
  });

  it('escapes interpolations unless they are html values or raw()', async () => {
    const { result } = await harness.render('escape.ts', { query: { q: `"><script>alert('x')</script>&` } });
    assert.ok(result.type === 'rendered');
    assert.equal(
      result.body,
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">' +
        '&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</p>' +
        '<ul><li>&lt;a&gt;</li><li>&amp;b</li></ul>' +
        '<b>bold</b>||||0' +
        '<i>echo is raw</i>' +
        '<x>&lt;</x>',
    );
  });
});

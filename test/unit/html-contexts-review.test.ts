/**
 * The `html` tag against the review's findings on its contexts: `/` after a statement's `)`,
 * U+2028 in strings, `srcdoc` documents read as documents, and the other attacks that ran.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { html, json } from '../../runner/sandbox/prelude/html.js';
import { analyse } from '../../runner/sandbox/prelude/html-tokenizer.js';
import { contexts, describeSlot, refusal, t } from '../helpers/html-contexts.js';

describe('html contexts: the review findings', () => {
  it('after `)`, `/` is a regex if the `(` was an if, while, for or with condition; unsure after `}`', () => {
    const code = (source: readonly string[]) => contexts(source)[0];
    const inString = 'refused: in <script>, inside a string literal';
    assert.equal(code(t`<script>if (ok) /"/.test(s); m = "${1}"</script>`), inString);
    assert.equal(code(t`<script>while (f(i)) /"/.test(s); m = "${1}"</script>`), inString);
    assert.equal(code(t`<script>for (;;) /"/.test(s); m = "${1}"</script>`), inString);
    assert.equal(code(t`<script>x = f(a) / 2; m = ${1}</script>`), 'code');
    assert.equal(code(t`<script>if (ok) x = (a) / 2; m = ${1}</script>`), 'code');
    assert.match(code(t`<script>x = {} / 1; m = ${1}</script>`) ?? '', /refused: .*may start a regular expression/);
    assert.match(code(t`<script>function f() {} /"/.test(s); m = ${1}</script>`) ?? '', /refused: /);
    // A comment after `}` is no `/` to tell apart.
    assert.equal(code(t`<script>function f() {} // f\n /* g */ m = ${1}</script>`), 'code');
  });

  it('U+2028 and U+2029 stay inside a string literal (ES2019)', () => {
    assert.equal(contexts(t`<script>m = "a ${1}"</script>`)[0], 'refused: in <script>, inside a string literal');
    assert.equal(
      contexts(t`<a onclick="m = 'a ${1}'">`)[0],
      'refused: in the onclick attribute of <a>, inside a string literal',
    );
  });

  it('srcdoc: the frame document is read too; each value gets the slot it lands in there', () => {
    assert.deepEqual(
      contexts(t`<iframe srcdoc="<p title='${1}'><a href='${2}'></a><script>f(${3})</script><!-- ${4} -->">`),
      ['srcdoc', 'srcdoc', 'srcdoc', 'srcdoc'],
    );
    const inner = (strings: readonly string[]) =>
      analyse(strings).slots.map((found) => (found.kind === 'srcdoc' ? found.inner.kind : describeSlot(found)));
    assert.deepEqual(inner(t`<iframe srcdoc="<p title='${1}'><a href='${2}'></a><script>f(${3})</script>">`), [
      'attribute',
      'url',
      'code',
    ]);
    assert.match(
      refusal(() => html`<iframe srcdoc="<img src=x onerror='f(${'1);g(1'})'>">`),
      /in the srcdoc attribute of <iframe>, in the onerror attribute of <img> is JavaScript/,
    );
    assert.match(
      refusal(() => html`<iframe srcdoc="<iframe src='${'javascript:top.x=1'}'></iframe>">`),
      /the src attribute of <iframe> has the scheme "javascript:"/,
    );
    assert.match(
      refusal(() => html`<iframe srcdoc="<p class=${'x'}>">`),
      /unquoted value of the class attribute/,
    );
    // json() in the frame's script: written as JSON there, escaped once for the attribute.
    assert.equal(
      html`<iframe srcdoc="<script>top.got = ${json('a"<')}</script>">`.value,
      '<iframe srcdoc="<script>top.got = &quot;a\\&quot;\\u003c&quot;</script>">',
    );
  });

  it('<script> in <svg> is markup first: a value after `&` or `<` in its static text is refused', () => {
    assert.equal(contexts(t`<svg><script>var s = ${1}</script></svg>`)[0], 'code');
    assert.match(contexts(t`<svg><script>var s = &quot;${1}&quot;</script></svg>`)[0] ?? '', /refused: .*after `&`/);
    assert.match(contexts(t`<math><style>a { b: 1 } <b>${1}</style></math>`)[0] ?? '', /refused: /);
    assert.equal(contexts(t`<script>if (a < b && c) f(${1})</script>`)[0], 'code');
  });

  it('strings passed by hand are read at every call: changing them cannot reuse a plan', () => {
    const parts = ['<p>', '</p>'];
    const strings = Object.assign(parts, { raw: parts }) as unknown as TemplateStringsArray;
    assert.equal(html(strings, 'alert(1)').value, '<p>alert(1)</p>');
    parts[0] = '<script>';
    parts[1] = '</script>';
    assert.match(
      refusal(() => html(strings, 'alert(1)')),
      /in <script> is JavaScript/,
    );
  });
});

/**
 * The `html` tag's reading of where each interpolation lands (html-tokenizer.ts, html-code.ts)
 * and what it writes there (html.ts): many templates, each context, the refusals and their
 * messages, and the plan kept per template.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { html, json, planOf, raw } from '../../runner/sandbox/prelude/html.js';
import { analyse } from '../../runner/sandbox/prelude/html-tokenizer.js';
import { contexts, refusal, t } from '../helpers/html-contexts.js';

describe('html contexts: where each interpolation lands', () => {
  it('text, and the RCDATA and RAWTEXT elements', () => {
    assert.deepEqual(contexts(t`<p>${1}</p>${2}`), ['text', 'text']);
    assert.deepEqual(contexts(t`<title>${1}</title>${2}<textarea>${3}</TEXTAREA >${4}`), [
      'rcdata',
      'text',
      'rcdata',
      'text',
    ]);
    assert.deepEqual(contexts(t`<xmp><a href="${1}"></xmp><noscript>${2}</noscript>`), ['rcdata', 'rcdata']);
    assert.deepEqual(contexts(t`<plaintext>${1}</plaintext><a href="${2}">`), ['rcdata', 'rcdata']);
  });

  it('attribute values: quoted either way, names in any case, spaces around =', () => {
    assert.deepEqual(contexts(t`<p TITLE = "${1}" Class='x ${2}' data-x="${3}">`), [
      'attribute',
      'attribute',
      'attribute',
    ]);
    assert.deepEqual(contexts(t`<a\r\nHREF\n=\t"${1}"><img src='${2}' srcset="${3}">`), ['url', 'url', 'url']);
    assert.deepEqual(contexts(t`<form action="${1}"><button formaction="${2}"><object data="${3}">`), [
      'url',
      'url',
      'url',
    ]);
    assert.deepEqual(contexts(t`<svg><a xlink:href="${1}"><set attributeName="href" to="${2}"/></svg>`), [
      'url',
      'url',
    ]);
    assert.deepEqual(contexts(t`<iframe srcdoc="${1}" style="${2}">`), ['srcdoc', 'attribute']);
  });

  it('an unquoted value, a tag name and an attribute name are refused whatever the value', () => {
    assert.deepEqual(contexts(t`<a href=${1}><a href=x${2}><a href = ${3}>`), [
      'refused: as the unquoted value of the href attribute of <a>',
      'refused: as the unquoted value of the href attribute of <a>',
      'refused: as the unquoted value of the href attribute of <a>',
    ]);
    assert.deepEqual(contexts(t`<${1}><h${2}></${3}><div data-${4}="x">`), [
      'refused: in the name of a tag',
      'refused: in the name of a tag',
      'refused: in the name of a tag',
      'refused: in the name of an attribute of <div>',
    ]);
  });

  it('between attributes: the tag context', () => {
    assert.deepEqual(contexts(t`<div ${1}><input disabled ${2}><a href="x"${3}><br/${4}>`), [
      'tag',
      'tag',
      'tag',
      'tag',
    ]);
  });

  it('script, style and event handlers: code, unless inside a literal or a comment', () => {
    assert.deepEqual(contexts(t`<script>var x = ${1};</script><script type="module">f(${2})</script>`), [
      'code',
      'code',
    ]);
    assert.deepEqual(contexts(t`<style>a { color: ${1} }</style><div onclick="f(${2})" ONLOAD = 'g(${3})'>`), [
      'code',
      'code',
      'code',
    ]);
    assert.deepEqual(
      contexts(t`<script>"${1}" + '${2}' + \`${3}\`; x = /a${4}/; // ${5}
/* ${6} */ <!-- ${7}
--> ${8}
</script>`),
      [
        'refused: in <script>, inside a string literal',
        'refused: in <script>, inside a string literal',
        'refused: in <script>, inside a template literal',
        'refused: in <script>, inside a regular expression',
        'refused: in <script>, inside a comment',
        'refused: in <script>, inside a comment',
        'refused: in <script>, inside a comment',
        'refused: in <script>, inside a comment',
      ],
    );
  });

  it('reads strings, regular expressions and division as Go html/template does', () => {
    const code = (source: readonly string[]) => contexts(source)[0];
    assert.equal(code(t`<script>x = a / ${1}</script>`), 'code');
    assert.equal(code(t`<script>x = a++ / ${1}</script>`), 'code');
    assert.equal(code(t`<script>x = (a) / ${1}</script>`), 'code');
    assert.equal(code(t`<script>return /${1}/</script>`), 'refused: in <script>, inside a regular expression');
    assert.equal(code(t`<script>/"/.test(s); /[/"]/.test(s); y = ${1}</script>`), 'code');
    assert.equal(code(t`<script>x = "a\\"b" + 'c\\'d'; y = ${1}</script>`), 'code');
    assert.equal(code(t`<script>x = \`a\${"\`"}c\`; y = ${1}</script>`), 'code');
    assert.equal(code(t`<script>x = \`a\${ {b: 1}.b }c\${1}\`; y = ${1}</script>`), 'code');
    assert.equal(code(t`<script>x = a / 2; s = "${1}"</script>`), 'refused: in <script>, inside a string literal');
    assert.equal(code(t`<style>a::after { content: "${1}" }</style>`), 'refused: in <style>, inside a string literal');
    assert.equal(code(t`<style>/* ${1} */</style>`), 'refused: in <style>, inside a comment');
    // References in a handler are read as the browser decodes them.
    assert.equal(
      code(t`<a onclick="go(&quot;${1}&quot;)">`),
      'refused: in the onclick attribute of <a>, inside a string literal',
    );
    assert.equal(code(t`<a onclick="go(&lbrace;${1})">`), 'refused: in the onclick attribute of <a>');
  });

  it('where <script> ends, escaped script data included', () => {
    assert.deepEqual(contexts(t`<script>a</script>${1}<script>b</SCRIPT >${2}`), ['text', 'text']);
    // `<!--<script>` hides the next `</script>`: the script goes on (in a JavaScript comment, `<!--`).
    assert.deepEqual(contexts(t`<script><!--<script></script>${1}</script>${2}`), [
      'refused: in <script>, inside a comment',
      'text',
    ]);
    assert.deepEqual(contexts(t`<script><!-- </script>${1}`), ['text']);
    assert.deepEqual(contexts(t`<script>'</script>'${1}`), ['text']);
  });

  it('refuses an interpolation that could complete an end tag, `<!--` or a character reference', () => {
    assert.deepEqual(contexts(t`<script>a <${1}</script><title></tit${2}</title><!${3}`), [
      'refused: in <script>, right after `<`',
      'refused: in <title>, right after `</tit`',
      'refused: inside `<!`',
    ]);
    assert.deepEqual(contexts(t`<a title="&${1}" href="&#10${2}">`), [
      'refused: in the title attribute of <a>, right after `&`',
      'refused: in the href attribute of <a>, right after `&`',
    ]);
  });

  it('comments, bogus comments and what follows them', () => {
    assert.deepEqual(contexts(t`<!-- ${1} -->${2}<!--${3}--!>${4}<!-->${5}<!DOCTYPE ${6}>${7}<?x ${8}>`), [
      'comment',
      'text',
      'comment',
      'text',
      'text',
      'comment',
      'text',
      'comment',
    ]);
  });

  it('inside <svg> and <math>, <title> holds markup; <style> and <script> stay code', () => {
    assert.deepEqual(contexts(t`<svg><title><a href="${1}"></a></title><style>${2}</style></svg><title>${3}`), [
      'url',
      'code',
      'rcdata',
    ]);
  });

  it('whole: a template that ends in text, outside tags, raw-text elements and foreign content', () => {
    for (const whole of [t`<p>a</p>`, t`<br>`, t`<svg></svg>`, t`<!-- a -->`, t`<script></script>`]) {
      assert.equal(analyse(whole).whole, true, whole.join('${}'));
    }
    for (const open of [t`<a href="`, t`<a `, t`<svg>`, t`<script>`, t`<!--`, t`<title>`]) {
      assert.equal(analyse(open).whole, false, open.join('${}'));
    }
  });
});

describe('html: what each context writes', () => {
  const evil = `"'<>&`;

  it('escapes text and attributes; html values are HTML in text, text in attributes', () => {
    assert.equal(
      html`<p title="${evil}">${evil}</p>`.value,
      '<p title="&quot;&#39;&lt;&gt;&amp;">&quot;&#39;&lt;&gt;&amp;</p>',
    );
    assert.equal(html`<p title="${html`<b>`}">${html`<b>b</b>`}</p>`.value, '<p title="&lt;b&gt;"><b>b</b></p>');
    assert.equal(html`<title>${html`<b>`}${raw('&amp;')}</title>`.value, '<title>&lt;b&gt;&amp;</title>');
    assert.equal(html`<p>${[1, '<', null, undefined, false, html`<i></i>`]}</p>`.value, '<p>1&lt;<i></i></p>');
  });

  it('refuses an html value that does not end in text, in text', () => {
    const open = html`<a href="`;
    assert.match(
      refusal(() => html`<p>${open}javascript:x">`),
      /an html value that ends inside a tag/i,
    );
    assert.equal(html`<p>${raw('<a href="')}x">`.value, '<p><a href="x">');
  });

  it('srcdoc: text escaped twice, an html value once', () => {
    assert.equal(html`<iframe srcdoc="${'<b>&'}">`.value, '<iframe srcdoc="&amp;lt;b&amp;gt;&amp;amp;">');
    assert.equal(html`<iframe srcdoc="${html`<b>${'<'}</b>`}">`.value, '<iframe srcdoc="&lt;b&gt;&amp;lt;&lt;/b&gt;">');
  });

  it('comments: - and ! escaped, never nothing', () => {
    assert.equal(html`<!--${'--!><x>'}-->`.value, '<!--&#45;&#45;&#33;&gt;&lt;x&gt;-->');
    assert.equal(html`<!--${''}>-->`.value, '<!-- >-->');
  });

  it("between attributes: nothing, an empty string, a boolean attribute's name or raw(); anything else refused", () => {
    assert.equal(html`<input ${''} ${null} ${false} ${raw('disabled')}>`.value, '<input    disabled>');
    const box = (done: boolean) => html`<input type="checkbox" ${done ? 'checked' : ''} ${done && 'disabled'}>`.value;
    assert.equal(box(true), '<input type="checkbox"  checked  disabled>');
    assert.equal(box(false), '<input type="checkbox"  >');
    assert.equal(html`<option value="a"${'selected'}>`.value, '<option value="a" selected>');
    for (const value of ['onclick', 'checked onclick=alert(1)', 'Checked', 'async', 'checked=""', ' checked']) {
      assert.match(
        refusal(() => html`<input ${value}>`),
        /between the attributes of <input> is refused/,
        value,
      );
    }
    assert.match(
      refusal(() => html`<div ${'onclick=alert(1)'}>`),
      /between the attributes of <div> is refused/,
    );
    assert.match(
      refusal(() => html`<div ${html`onclick="x"`}>`),
      /between the attributes of <div>/,
    );
  });

  it('structural refusals hold for raw() and for nothing too', () => {
    assert.match(
      refusal(() => html`<a href=${raw('"x"')}>`),
      /quote the attribute: href="\$\{…\}"; raw\(\) does not/,
    );
    assert.match(
      refusal(() => html`<a href=${null}>`),
      /unquoted value of the href attribute of <a>/,
    );
    assert.match(
      refusal(() => html`<h${raw('1')}>`),
      /in the name of a tag/,
    );
  });

  it('code: json() or raw() only; json() escaped again in an attribute', () => {
    const value = `</script><!--'\`\${x}/\u2028`;
    const written = html`<script>const v = ${json(value)};</script>`.value;
    assert.equal(
      written,
      '<script>const v = "\\u003c\\/script\\u003e\\u003c!--\\u0027\\u0060\\u0024{x}\\/\\u2028";</script>',
    );
    assert.equal(JSON.parse(written.slice(18, -10)), value);
    assert.equal(
      html`<a onclick="f(${json({ a: '"' })})">`.value,
      '<a onclick="f({&quot;a&quot;:&quot;\\&quot;&quot;})">',
    );
    assert.equal(html`<script>${raw('go()')}</script>`.value, '<script>go()</script>');
    assert.equal(json(undefined).value, 'null');
    assert.equal(html`<script>f(${null}, ${undefined}, ${false})</script>`.value, '<script>f(, , )</script>');
    for (const value of ['x', '', 1, html`<b>`]) {
      assert.match(
        refusal(() => html`<script>f(${value})</script>`),
        /in <script> is JavaScript: only json\(value\)/,
      );
    }
    assert.match(
      refusal(() => html`<style>a { color: ${'red'} }</style>`),
      /in <style> is CSS/,
    );
    assert.match(
      refusal(() => html`<script>"${json('x')}"</script>`),
      /inside a string literal is refused: json\(\)/,
    );
    assert.equal(html`<script>"${raw('x')}"</script>`.value, '<script>"x"</script>');
  });
});

describe('html: URL attributes', () => {
  const scheme = (render: () => unknown) => /has the scheme "([^"]*)"/.exec(refusal(render))?.[1];

  it('refuses script schemes as the browser reads them', () => {
    for (const url of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      'java\tscript:alert(1)',
      'java\nscript:alert(1)',
      'java\rscript:alert(1)',
      ' \u0001javascript:alert(1)',
      '\u0000javascript:alert(1)',
    ]) {
      assert.equal(
        scheme(() => html`<a href="${url}">`),
        'javascript:',
        JSON.stringify(url),
      );
    }
    assert.equal(
      scheme(() => html`<a href="${'vbscript:x'}">`),
      'vbscript:',
    );
    assert.equal(
      scheme(() => html`<a href="${'intent://x'}">`),
      'intent:',
    );
  });

  it('checks the whole value: values split across interpolations, arrays, static references', () => {
    assert.equal(
      scheme(() => html`<a href="${'java'}${'script:x'}">`),
      'javascript:',
    );
    assert.equal(
      scheme(() => html`<a href="${['java', 'script:x']}">`),
      'javascript:',
    );
    assert.equal(
      scheme(() => html`<a href="java${'script:x'}">`),
      'javascript:',
    );
    assert.equal(
      scheme(() => html`<a href="&#x6A;ava&Tab;script&colon;${'x'}">`),
      'javascript:',
    );
    assert.equal(
      scheme(() => html`<a href="javascript:go(${'1'})">`),
      'javascript:',
    );
    // A reference in the value is text: `&amp;#106;` reaches the browser, a relative URL.
    assert.equal(html`<a href="${'&#106;avascript:x'}">`.value, '<a href="&amp;#106;avascript:x">');
  });

  it('allows relative URLs and the safe schemes, after a static scheme too', () => {
    for (const url of ['/a?b=c#d', './x', '//example.com/', 'https://x/?u=javascript:x', 'mailto:a@b', 'tel:+1']) {
      assert.equal(html`<a href="${url}">`.value, `<a href="${url.replace(/&/g, '&amp;')}">`);
    }
    assert.equal(html`<a href="/users/${'javascript:x'}">`.value, '<a href="/users/javascript:x">');
    assert.equal(html`<a href="https://x/${'a'}">`.value, '<a href="https://x/a">');
    assert.equal(html`<a href="${null}">`.value, '<a href="">');
  });

  it('data: images only where an image loads, and never SVG', () => {
    const png = 'data:image/png;base64,AAAA';
    assert.equal(html`<img src="${png}" srcset="${png} 2x">`.value, `<img src="${png}" srcset="${png} 2x">`);
    assert.equal(
      scheme(() => html`<iframe src="${png}">`),
      'data:',
    );
    assert.equal(
      scheme(() => html`<img src="${'data:image/svg+xml,<svg onload=alert(1)>'}">`),
      'data:',
    );
    assert.equal(
      scheme(() => html`<iframe src="${'data:text/html,<script>alert(1)</script>'}">`),
      'data:',
    );
    assert.equal(
      scheme(() => html`<img srcset="${'a.png 1x, javascript:x 2x'}">`),
      'javascript:',
    );
  });

  it('raw() writes a URL as is, unchecked, unless a plain value shares the attribute', () => {
    assert.equal(html`<a href="${raw('javascript:void(0)')}">`.value, '<a href="javascript:void(0)">');
    assert.equal(
      scheme(() => html`<a href="${raw('')}${'javascript:x'}">`),
      'javascript:',
    );
  });

  it('html values are text in a URL attribute, and checked', () => {
    assert.equal(
      scheme(() => html`<a href="${html`javascript:x`}">`),
      'javascript:',
    );
  });

  it('names the attribute, the element, the scheme and the fix', () => {
    const message = refusal(() => html`<form><button formaction="${'javascript:x'}">`);
    assert.match(message, /^html: The URL interpolated in the formaction attribute of <button> has the scheme /);
    assert.match(message, /"javascript:", which is refused \(allowed: relative URLs, http:, https:, .*\)\. /);
    assert.match(
      message,
      /Check the URL before writing it \(new URL\(value\)\.protocol\), or wrap a URL .* in raw\(\)\.$/,
    );
  });
});

describe('html: the plan is read once per template', () => {
  it('keeps one plan per call site, found again by the strings object', () => {
    const [first, second] = [0, 1].map((i) => t`<a href="${i}">`) as [TemplateStringsArray, TemplateStringsArray];
    assert.equal(first, second);
    assert.equal(planOf(first), planOf(second));
    // The same text at another call site is another template: another plan, equal to the first.
    const other = t`<a href="${0}">`;
    assert.notEqual(planOf(other), planOf(first));
    assert.deepEqual(planOf(other), planOf(first));
  });
});

/**
 * The `html` tag against the injections of issue 12, in Chromium: each script writes a hostile
 * query value (`v`, `w`) where a developer would, and the page either is refused (the render
 * answers 500 with the tag's error) or, where the value is allowed (`json()`, `srcdoc`), loads
 * without the injected code running. Injected code sets `pwned` on the top window or on its own
 * frame's; the page's load event, which waits for its images and frames, is when it is read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';

const PWN = 'top.pwned = 1';
const SCRIPTS: Record<string, string> = {
  'href.ts': 'echo(html`<a id="link" href="${request.query.v}">link</a>`);',
  'iframe-src.ts': 'echo(html`<iframe src="${request.query.v}"></iframe>`);',
  'unquoted.ts': 'echo(html`<img src="/missing.png" class=${request.query.v}>`);',
  'onerror.ts': 'echo(html`<img src="/missing.png" onerror="${request.query.v}">`);',
  'script-expression.ts': 'echo(html`<script>var x = ${request.query.v};</script>`);',
  'script-strings.ts': 'echo(html`<script>var a = "${request.query.v}", b = "${request.query.w}";</script>`);',
  'script-string.ts': 'echo(html`<script>var x = "${request.query.v}";</script>`);',
  'script-template.ts': 'echo(html`<script>var t = \\`${request.query.v}\\`;</script>`);',
  'srcdoc.ts': 'echo(html`<iframe srcdoc="${request.query.v}"></iframe>`);',
  'script-json.ts': 'echo(html`<script>var x = ${json(request.query.v)}; top.got = x;</script>`);',
  'onerror-json.ts': 'echo(html`<img src="/missing.png" onerror="top.got = ${json(request.query.v)}">`);',
  // Review findings: each the attack as a script would write it.
  'regex-after-if.ts':
    'echo(html`<script>var s = "a", ok = true; if (ok) /"/.test(s); top.m = "hi ${json(request.query.v)}";</script>`);',
  'regex-after-while.ts':
    'echo(html`<script>var i = 0; while (i++ < 1) /"/.test("x"); top.m = "hi ${json(request.query.v)}";</script>`);',
  'flip.ts': `let n = 0;
const link = { toString: () => (n++ === 0 ? String(request.query.v) : '/safe') };
echo(html\`<iframe src="\${link}"></iframe>\`);`,
  'comment-array.ts': 'echo(html`<!--${[]}><img src="/missing.png" onerror="${request.query.v}">-->`);',
  'script-src-path.ts': 'echo(html`<script id="s" src="/${request.query.v}.js"></script>`);',
  'href-path.ts': 'echo(html`<a id="a" href="/${request.query.v}">a</a>`);',
  'srcdoc-iframe.ts':
    'echo(html`<iframe srcdoc="<h2>Preview</h2><iframe src=\'${request.query.v}\'></iframe>"></iframe>`);',
  'srcdoc-handler.ts':
    'echo(html`<iframe srcdoc="<img src=/missing.png onerror=\'console.log(${request.query.v})\'>"></iframe>`);',
  'srcdoc-script.ts': 'echo(html`<iframe srcdoc="<script>var n = ${request.query.v}</script>"></iframe>`);',
  'srcdoc-json.ts': 'echo(html`<iframe srcdoc="<script>top.got = ${json(request.query.v)}</script>"></iframe>`);',
  'svg-script.ts': 'echo(html`<svg><script>var s = &quot;${json(request.query.v)}&quot;</script></svg>`);',
  'clobber.ts': `echo(html\`<form name="\${request.query.v}"><input name="q"></form>
<script>top.kind = Object.prototype.toString.call(document.serverSocket)</script>\`);
function __serverSocketEvent(name: string) {}`,
  'string-u2028.ts': 'echo(html`<script>top.m = "Hello\\u2028${json(request.query.v)}";</script>`);',
};

interface Visit {
  status: number;
  text: string;
  /** Whether injected code ran, in the page or in any of its frames. */
  ran(): Promise<boolean>;
}

describe('html contexts in a real browser (Chromium): injections through interpolations', { timeout: 240_000 }, () => {
  const folder = scriptsFolder(SCRIPTS);
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  before(async () => {
    server = await startServer({ dir: folder.dir, dev: true });
    browser = await launchBrowser();
    page = await (await browser.newContext()).newPage();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    folder.remove();
  });

  async function visit(script: string, query: Record<string, string>): Promise<Visit> {
    const response = await page.goto(`${server.url}/${script}?${new URLSearchParams(query)}`, { waitUntil: 'load' });
    assert.ok(response);
    const ran = async () => {
      for (const frame of page.frames()) {
        if (await frame.evaluate(() => (window as { pwned?: number }).pwned === 1)) return true;
      }
      return false;
    };
    return { status: response.status(), text: (await page.locator('body').textContent()) ?? '', ran };
  }

  /** The render must be refused, with the tag's error; a page that renders is the attack's to run. */
  async function assertRefused(visited: Visit, reason: RegExp, trigger?: () => Promise<void>): Promise<void> {
    if (visited.status === 200) {
      await trigger?.();
      assert.equal(await visited.ran(), false, 'the page rendered, and the injected script ran');
      assert.fail('the page rendered: the value was not refused');
    }
    assert.equal(await visited.ran(), false, 'the injected script ran');
    assert.equal(visited.status, 500, visited.text);
    assert.match(visited.text, /HtmlContextError/);
    assert.match(visited.text, reason);
  }

  it('href="${javascript:…}": refused, naming the attribute and the scheme (the link would run it)', async () => {
    const visited = await visit('href', { v: `javascript:${PWN}` });
    await assertRefused(visited, /the href attribute of <a> has the scheme "javascript:"/, async () => {
      await page.click('#link');
      await page.waitForFunction(() => (window as { pwned?: number }).pwned === 1);
    });
  });

  for (const [name, v] of [
    ['javascript:', `javascript:${PWN}`],
    ['java<TAB>script:', `java\tscript:${PWN}`],
    ['a leading control character and space', `\u0001 JavaScript:${PWN}`],
    ['java<NEWLINE>script:', `java\nscript:${PWN}`],
  ]) {
    it(`iframe src="\${${name}…}": refused`, async () => {
      const visited = await visit('iframe-src', { v: v as string });
      await assertRefused(visited, /the src attribute of <iframe> has the scheme "javascript:"/);
    });
  }

  it('iframe src="${data:text/html,…}": refused', async () => {
    const visited = await visit('iframe-src', { v: 'data:text/html,<script>window.pwned = 1</script>' });
    await assertRefused(visited, /the src attribute of <iframe> has the scheme "data:"/);
  });

  it('a reference in the value (&#106;avascript:) is text: the URL is relative and harmless', async () => {
    const visited = await visit('iframe-src', { v: `&#106;avascript:${PWN}` });
    assert.equal(visited.status, 200);
    assert.equal(await visited.ran(), false);
  });

  it('an unquoted attribute (class=${…}) is refused: the value would add its own attributes', async () => {
    const visited = await visit('unquoted', { v: 'x onerror=top.pwned=1' });
    await assertRefused(visited, /unquoted value of the class attribute of <img>.*quote the attribute/);
  });

  it('an event handler (onerror="${…}") is refused without json()', async () => {
    const visited = await visit('onerror', { v: PWN });
    await assertRefused(visited, /the onerror attribute of <img> is JavaScript: only json\(value\)/);
  });

  it('a value as an expression in <script> is refused without json()', async () => {
    const visited = await visit('script-expression', { v: `1; ${PWN}` });
    await assertRefused(visited, /in <script> is JavaScript: only json\(value\)/);
  });

  it('values in string literals of <script> are refused (a trailing backslash would end the first)', async () => {
    const visited = await visit('script-strings', { v: '\\', w: `;${PWN};//` });
    await assertRefused(visited, /in <script>, inside a string literal is refused/);
  });

  it('"${</script><script>…}" in a <script> string is refused', async () => {
    const visited = await visit('script-string', { v: `</script><script>${PWN}</script>` });
    await assertRefused(visited, /in <script>, inside a string literal is refused/);
  });

  it('a value in a template literal of <script> is refused (${…} in it would run)', async () => {
    const visited = await visit('script-template', { v: `\${${PWN}}` });
    await assertRefused(visited, /in <script>, inside a template literal is refused/);
  });

  it('srcdoc="${<script>…}" is escaped twice: the frame shows the text, nothing runs', async () => {
    const v = `<script>${PWN}</script><b>bold?</b>`;
    const visited = await visit('srcdoc', { v });
    assert.equal(visited.status, 200, visited.text);
    assert.equal(await visited.ran(), false, 'the injected script ran');
    const frame = page.frames().find((f) => f !== page.mainFrame());
    assert.equal(await frame?.locator('body').textContent(), v);
  });

  it('json() in <script>: the value arrives whole and nothing in it runs', async () => {
    const v = `</script><script>${PWN}</script><!-- \u2028 '" \`\${${PWN}}\``;
    const visited = await visit('script-json', { v });
    assert.equal(visited.status, 200, visited.text);
    assert.equal(await visited.ran(), false, 'the injected script ran');
    assert.equal(await page.evaluate(() => (window as { got?: string }).got), v);
  });

  it('json() in an event handler: attribute-escaped as well, the value arrives whole', async () => {
    const v = `"');${PWN};//&quot;`;
    const visited = await visit('onerror-json', { v });
    assert.equal(visited.status, 200, visited.text);
    await page.waitForFunction(() => (window as { got?: string }).got !== undefined);
    assert.equal(await visited.ran(), false, 'the injected script ran');
    assert.equal(await page.evaluate(() => (window as { got?: string }).got), v);
  });

  it('a regex after if (…) is read as one: json() inside the string after it is refused', async () => {
    for (const script of ['regex-after-if', 'regex-after-while']) {
      const visited = await visit(script, { v: '+(top.pwned=1)+' });
      await assertRefused(visited, /in <script>, inside a string literal is refused/);
    }
  });

  it('U+2028 does not end a string literal: json() after it in the string is refused', async () => {
    const visited = await visit('string-u2028', { v: '+(top.pwned=1)+' });
    await assertRefused(visited, /in <script>, inside a string literal is refused/);
  });

  it('a value is stringified once: a toString that flips after the write cannot pass the URL check', async () => {
    const visited = await visit('flip', { v: `javascript:${PWN}` });
    await assertRefused(visited, /the src attribute of <iframe> has the scheme "javascript:"/);
  });

  it('an empty array in a comment is written as a space: `<!--` + `>` does not end the comment', async () => {
    const visited = await visit('comment-array', { v: PWN });
    assert.equal(visited.status, 200, visited.text);
    assert.equal(await visited.ran(), false, 'the injected script ran');
    assert.equal(await page.locator('img').count(), 0, 'the comment ended and the <img> was parsed');
  });

  it('a value after a lone "/" gives the URL no host ("/" + "/evil.example/x" is "//evil.example/x")', async () => {
    const hostOf = async (selector: string, attribute: string) =>
      page.evaluate(({ s, a }) => new URL(document.querySelector(s)?.getAttribute(a) ?? '', location.href).host, {
        s: selector,
        a: attribute,
      });
    for (const [script, v, selector, attribute] of [
      ['script-src-path', '/evil.example/x', '#s', 'src'],
      ['href-path', '\t/evil.example/', '#a', 'href'],
      ['href-path', '\\evil.example/', '#a', 'href'],
    ] as const) {
      const visited = await visit(script, { v });
      if (visited.status === 200) assert.notEqual(await hostOf(selector, attribute), 'evil.example', 'host taken');
      const element = script === 'href-path' ? 'a' : 'script';
      await assertRefused(visited, new RegExp(`the ${attribute} attribute of <${element}> starts with "/"`));
    }
  });

  it('srcdoc: the frame document is read, a URL there is checked, its script and handlers refuse values', async () => {
    for (const [script, v, reason] of [
      ['srcdoc-iframe', `javascript:${PWN}`, /the src attribute of <iframe> has the scheme "javascript:"/],
      ['srcdoc-handler', `1);${PWN.replace(' = ', '=(')}`, /srcdoc attribute of <iframe>, in the onerror attribute/],
      ['srcdoc-script', `1;${PWN}`, /srcdoc attribute of <iframe>, in <script> is JavaScript/],
    ] as const) {
      const visited = await visit(script, { v });
      await assertRefused(visited, reason);
    }
  });

  it("srcdoc: json() in the frame document's script arrives whole", async () => {
    const v = `"</script><script>${PWN}</script>&quot;`;
    const visited = await visit('srcdoc-json', { v });
    assert.equal(visited.status, 200, visited.text);
    await page.waitForFunction(() => (window as { got?: string }).got !== undefined);
    assert.equal(await visited.ran(), false, 'the injected script ran');
    assert.equal(await page.evaluate(() => (window as { got?: string }).got), v);
  });

  it('<svg><script> decodes &quot;: json() between two of them is refused (it would sit in a string)', async () => {
    const visited = await visit('svg-script', { v: '+(top.pwned=1)+' });
    await assertRefused(visited, /in <script> inside <svg> or <math>, after `&`/);
  });

  it('<form name="${serverSocket}"> is refused: it would replace document.serverSocket for the page', async () => {
    const visited = await visit('clobber', { v: 'serverSocket' });
    if (visited.status === 200) {
      const kind = await page.evaluate(() => (window as { kind?: string }).kind);
      assert.notEqual(kind, '[object HTMLFormElement]', 'document.serverSocket is the form');
    }
    await assertRefused(visited, /the name attribute of <form> makes it "serverSocket"/);
  });
});

/**
 * A fragment whose element is not in the document when it arrives, in Chromium: a `<pw-include>`
 * removed while it loaded, a `load()` into an element removed meanwhile, an `insert()` into an
 * element never added. No removal is left to end such an instance, which would otherwise live as
 * long as the document: it ends at once (its close hook runs), and `load()`/`insert()` say why.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { servedInBrowser } from './helpers/proxied-browser.js';
import { scriptsFolder } from './helpers/fixtures.js';

const folder = scriptsFolder({
  'host.ts': `page.channel('closed').subscribe((id) => page.append('#closed', html\`<i>\${String(id)}</i>\`));
echo(html\`<!doctype html><body><p id="closed"></p></body>\`);
function __serverSocketEvent() {}`,
  'widget.ts': `const id = String(request.query.id);
page.onClose(() => page.channel('closed').publish(id));
echo(html\`<span>\${id}</span>\`);
function __serverSocketEvent() {}`,
});

describe('fragments whose element is not in the document, in Chromium', { timeout: 120_000 }, () => {
  const served = servedInBrowser(folder);

  it('end at once: their close hooks run, and load() and insert() reject saying why', async () => {
    const page = await (await served.browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${served.server.url}/host`);
    const outcome = await page.evaluate(async () => {
      const socket = document.serverSocket as NonNullable<typeof document.serverSocket>;
      const include = document.createElement('pw-include');
      include.setAttribute('src', '/widget?id=included');
      document.body.append(include);
      include.remove();
      const holder = document.body.appendChild(document.createElement('div'));
      const loading = socket.load(holder, '/widget?id=loaded');
      holder.remove();
      const loaded = await loading.then(
        () => 'loaded',
        (error: Error) => error.message,
      );
      const response = await fetch('/widget?id=inserted');
      const inserted = await socket.insert(document.createElement('div'), response).then(
        () => 'inserted',
        (error: Error) => error.message,
      );
      return { loaded, inserted };
    });
    assert.match(outcome.loaded, /load\(el, '\/widget\?id=loaded'\): the element is not in the document/);
    assert.match(outcome.inserted, /insert\(el, response\): the element is not in the document/);
    await page.waitForFunction(() => document.querySelectorAll('#closed i').length === 3, null, { polling: 20 });
    const closed = await page.locator('#closed i').allTextContents();
    assert.deepEqual(closed.sort(), ['included', 'inserted', 'loaded']);
    // The removed <pw-include> is nobody's error.
    assert.deepEqual(
      errors.filter((error) => error.includes('pw-include')),
      [],
    );
    await page.context().close();
  });
});

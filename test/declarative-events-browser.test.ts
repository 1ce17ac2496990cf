import assert from 'node:assert/strict';
import { servedInBrowser } from './helpers/proxied-browser.js';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { scriptsFolder } from './helpers/fixtures.js';

/** Every event the script gets is pushed back as `got`; the page keeps them in `window.got`. */
const ECHO = `function __serverSocketEvent(name: string, data: unknown) { server_socket_event('got', { name, data }); }
const collect = '<script>window.got = []; window.errors = [];' +
  'document.serverSocket.addEventListener("got", (e) => got.push(e.data));' +
  'document.serverSocket.addEventListener("error", (e) => errors.push(e.data.code + ": " + e.data.message));' +
  '</script>';`;

const FORM = `<form id="f" pw-submit="save" pw-value-extra="x">
  <input name="title" value="Milk">
  <input name="tags" value="a"><input name="tags" value="b">
  <input type="checkbox" name="urgent" checked><input type="checkbox" name="done">
  <input type="checkbox" name="fruit" value="apple" checked><input type="checkbox" name="fruit" value="pear">
  <input type="checkbox" name="veg" value="leek"><input type="checkbox" name="veg" value="kale">
  <input type="checkbox" name="note" value="yes">
  <input type="radio" name="size" value="s"><input type="radio" name="size" value="m" checked>
  <select name="shop"><option>corner</option><option selected>market</option></select>
  <select name="days" multiple><option selected>mon</option><option>tue</option><option selected>wed</option></select>
  <textarea name="memo">two
lines</textarea>
  <input type="file" name="photo"><input name="off" value="no" disabled><input value="unnamed">
  <button name="action" value="store">Save</button>
</form>`;

describe('declarative events (pw-* attributes) in Chromium', { timeout: 180_000 }, () => {
  const folder = scriptsFolder({
    'form.ts': `${ECHO}
echo('<!doctype html><title>form</title>' + collect + ${JSON.stringify(FORM)});`,
    'fields.ts': `${ECHO}
echo('<!doctype html>' + collect + \`
<input id="q" name="q" pw-input="search">
<form id="prefs" pw-change="prefs"><input type="checkbox" name="dark">
  <select name="lang"><option>en</option><option>fr</option></select></form>
<input id="todo" pw-keydown="add" pw-key="Enter">
<input id="bad-key" pw-keydown="never" pw-key="Entr">
<input id="slow" name="slow" pw-input="slow" pw-debounce="600000">
<input id="few" name="few" pw-input="few" pw-throttle="600000">
<input id="soon" name="soon" pw-input="soon" pw-debounce="soon">
<button id="plain" data-pw-click="plain">plain</button>
<button id="ask" pw-click="asked" pw-confirm="Really?">ask</button>
<form id="big" pw-submit="big"><textarea name="text"></textarea></form>
<form action="/elsewhere"><button id="in-form" pw-click="in-form">in a form</button></form>
<a id="link" href="/elsewhere" pw-click="link" pw-value-id="7">link</a>\`);`,
  });
  const served = servedInBrowser(folder, { server: { dev: true, maxMessageBytes: 4096 } });

  type Got = { name: string; data: Record<string, unknown> };
  const got = (page: Page) => page.evaluate(() => (window as unknown as { got: Got[] }).got);
  const waitForGot = (page: Page, count: number) =>
    page.waitForFunction((n) => (window as unknown as { got: unknown[] }).got.length >= n, count, { polling: 20 });

  it('pw-submit sends the form as an object and does not navigate', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/form`);
    const before = page.url();
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await page.click('button[name=action]');
    await waitForGot(page, 1);
    assert.deepEqual(await got(page), [
      {
        name: 'save',
        data: {
          title: 'Milk',
          tags: ['a', 'b'],
          urgent: true,
          done: false,
          fruit: ['apple'],
          veg: [],
          size: 'm',
          shop: 'market',
          days: ['mon', 'wed'],
          memo: 'two\nlines',
          action: 'store',
          extra: 'x',
        },
      },
    ]);
    assert.equal(page.url(), before);
    assert.equal(await page.evaluate(() => (window as unknown as { marker: number }).marker), 1, 'no navigation');
    // Enter in a field submits too; elements added later work (delegation from the document).
    await page.evaluate(() => {
      const form = document.createElement('form');
      form.setAttribute('data-pw-submit', 'later');
      form.innerHTML = '<input name="n" value="1"><input type="radio" name="r" value="x">';
      document.body.append(form);
    });
    await page.press('input[name=n]', 'Enter');
    await waitForGot(page, 2);
    assert.deepEqual((await got(page))[1], { name: 'later', data: { n: '1' } });
    await page.close();
  });

  it('pw-input, pw-change and pw-keydown send a field, a form, a key', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/fields`);
    await page.fill('#q', 'kiwi');
    await waitForGot(page, 1);
    assert.deepEqual((await got(page)).at(-1), { name: 'search', data: { value: 'kiwi', name: 'q' } });
    const count = (await got(page)).length;
    await page.check('#prefs input[name=dark]');
    await waitForGot(page, count + 1);
    assert.deepEqual((await got(page)).at(-1), { name: 'prefs', data: { dark: true, lang: 'en' } });
    await page.selectOption('#prefs select', 'fr');
    await waitForGot(page, count + 2);
    assert.deepEqual((await got(page)).at(-1), { name: 'prefs', data: { dark: true, lang: 'fr' } });
    await page.type('#todo', 'x');
    await page.press('#todo', 'Enter');
    await waitForGot(page, count + 3);
    assert.deepEqual((await got(page)).at(-1), { name: 'add', data: { value: 'x', key: 'Enter' } });
    assert.equal((await got(page)).length, count + 3, 'only Enter sends');
    await page.close();
  });

  it('pw-debounce holds a field until it rests, pw-throttle sends the first at once', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/fields`);
    await page.type('#slow', 'abc');
    await page.type('#few', 'abc');
    // Events keep their order: once the click arrives, anything sent before it has arrived too.
    await page.click('#plain');
    await page.waitForFunction(() => (window as unknown as { got: Got[] }).got.some((g) => g.name === 'plain'));
    assert.deepEqual(
      (await got(page)).map((g) => [g.name, g.data.value]),
      [
        ['few', 'a'],
        ['plain', undefined],
      ],
    );
    await page.close();
  });

  it('pw-click on a link or on a button inside a plain form does not navigate', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/fields`);
    const address = page.url();
    await page.click('#in-form');
    await page.click('#link');
    await page.click('#plain');
    await waitForGot(page, 3);
    assert.deepEqual(await got(page), [
      { name: 'in-form', data: {} },
      { name: 'link', data: { id: '7' } },
      { name: 'plain', data: {} },
    ]);
    assert.equal(page.url(), address);
    await page.close();
  });

  it('pw-confirm asks first: a refused event is not sent', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/fields`);
    const questions: string[] = [];
    let accept = false;
    page.on('dialog', (dialog) => {
      questions.push(dialog.message());
      void (accept ? dialog.accept() : dialog.dismiss());
    });
    await page.click('#ask');
    accept = true;
    await page.click('#ask');
    await waitForGot(page, 1);
    await page.click('#plain');
    await waitForGot(page, 2);
    assert.deepEqual(questions, ['Really?', 'Really?']);
    assert.deepEqual(
      (await got(page)).map((g) => g.name),
      ['asked', 'plain'],
    );
    await page.close();
  });

  it('dev: a bad pw-debounce or pw-key is a console warning naming the element', async () => {
    const page = await served.browser.newPage();
    const warnings: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    await page.goto(`${served.server.url}/fields`);
    await page.type('#soon', 'a');
    await page.press('#bad-key', 'Enter');
    await page.click('#plain');
    await page.waitForFunction(() => (window as unknown as { got: Got[] }).got.some((g) => g.name === 'plain'));
    // The bad debounce is ignored (sent at once); the unknown key never matches.
    assert.deepEqual(
      (await got(page)).map((g) => g.name),
      ['soon', 'plain'],
    );
    assert.ok(
      warnings.some((w) => w.includes('pw-debounce="soon"') && w.includes('input')),
      warnings.join('\n'),
    );
    assert.ok(
      warnings.some((w) => w.includes('pw-key="Entr"')),
      warnings.join('\n'),
    );
    await page.close();
  });

  it('a form larger than maxMessageBytes is not sent: an error event says why', async () => {
    const page = await served.browser.newPage();
    await page.goto(`${served.server.url}/fields`);
    await page.fill('#big textarea', 'x'.repeat(5000));
    await page.evaluate(() => (document.getElementById('big') as HTMLFormElement).requestSubmit());
    await page.waitForFunction(() => (window as unknown as { errors: string[] }).errors.length > 0);
    const errors = await page.evaluate(() => (window as unknown as { errors: string[] }).errors);
    assert.match(errors[0] ?? '', /^EVENT_TOO_LARGE: pw-submit="big": .*more than the server accepts \(4096\)/);
    await page.click('#plain');
    await waitForGot(page, 1);
    assert.deepEqual(
      (await got(page)).map((g) => g.name),
      ['plain'],
    );
    await page.close();
  });
});

// pagewire/testing on a page that holds other instances on its socket (components, a separate
// script): frames are the document's or another instance's by their `p`, never mixed up.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { open } from '../testing/index.js';
import { sampleScripts, scriptsFolder } from './helpers/fixtures.js';

let samples: ReturnType<typeof sampleScripts>;
let folder: ReturnType<typeof scriptsFolder>;
before(() => {
  samples = sampleScripts();
  // A component whose event handler throws, in a page of its own.
  folder = scriptsFolder({
    'bad.ts': `console.log('bad rendered');
echo(html\`<div class="bad"><button class="boom" pw-click="boom">b</button></div>\`);
function __serverSocketEvent(name: string) {
  if (name === 'boom') throw new Error('component kaboom');
}`,
    'host.ts': `echo(html\`<!doctype html><body>\${await include('/bad')}</body>\`);
function __serverSocketEvent() {}`,
    // A page that inserts its own fetch of a live script: a page of its own, not the document's.
    'inserts.ts': `echo(html\`<div id="slot"></div><script>
fetch('/widget').then((response) => document.serverSocket.insert(document.getElementById('slot'), response));
</script>\`);
function __serverSocketEvent() {}`,
    'widget.ts': `let n = 0;
page.onClose(() => page.channel('closed').publish('widget'));
echo(page.view(() => html\`<output>\${n}</output><button class="up" pw-click="up">+</button>\`));
function __serverSocketEvent() { n++; }`,
    'watch.ts': `page.channel('closed').subscribe((what) => page.append('#closed', html\`<i>\${String(what)}</i>\`));
echo(html\`<p id="closed"></p>\`);`,
  });
});
after(() => {
  samples.remove();
  folder.remove();
});

// A hang is the failure these guard against: the runner's timeout turns it into one.
const timeout = 60_000;

test('a component removed from the DOM ends alone; the page lives on, and closes', { timeout }, async () => {
  const page = await open(samples.dir, '/dashboard');
  await page.click('#counter .up');
  assert.equal(page.$('#counter .count')?.textContent, '11');
  page.$('#clock pw-component')?.remove();
  await page.click('#counter .up');
  assert.equal(page.$('#counter .count')?.textContent, '12');
  assert.equal(page.closed, false);
  await page.close();
  assert.equal(page.closed, true);
});

test('a page with a separate script: its pushes are kept, and the page closes', { timeout }, async () => {
  const page = await open(samples.dir, '/talk');
  await page.waitFor('#room h2');
  await page.submit('#say', { text: 'first' });
  await page.waitFor(() => page.$$('#said li').length === 1);
  await page.submit('#say', { text: 'second' });
  await page.waitFor(() => page.$$('#said li').length === 2);
  assert.deepEqual(
    page.pushes.map((push) => push.data),
    [
      { room: 'lobby', text: 'first' },
      { room: 'lobby', text: 'second' },
    ],
  );
  await page.close();
  assert.equal(page.closed, true);
});

test("a component's script error fails the action, at its file:line; its logs are the page's", {
  timeout,
}, async () => {
  const page = await open(folder.dir, '/host');
  assert.ok(
    page.logs.some((line) => /bad rendered/.test(line.message)),
    `the component's console.log is in page.logs: ${JSON.stringify(page.logs)}`,
  );
  await assert.rejects(page.click('.boom'), /bad\.ts:4:\d+ Error: component kaboom/);
  await page.close();

  const expecting = await open(folder.dir, '/host', { expectErrors: true });
  await expecting.click('.boom');
  assert.equal(expecting.errors[0]?.file, 'bad.ts');
  assert.equal(expecting.errors[0]?.line, 4);
  await expecting.close();
});

test('a page that inserted its own fetch of a live script closes, and so does that page', { timeout }, async () => {
  const watcher = await open(folder.dir, '/watch');
  const page = await open(folder.dir, '/inserts');
  await page.waitFor('#slot .up');
  await page.click('#slot .up');
  assert.equal(page.$('#slot output')?.textContent, '1');
  await page.close();
  assert.equal(page.closed, true);
  await watcher.waitFor('#closed i');
  assert.equal(watcher.$('#closed')?.textContent, 'widget');
  await watcher.close();
});

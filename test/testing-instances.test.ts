// pagewire/testing on a page that holds other instances on its socket (components, a separate
// script): frames are the document's or another instance's by their `p`, never mixed up.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { open } from '../testing/index.js';
import { sampleScripts } from './helpers/fixtures.js';

let samples: ReturnType<typeof sampleScripts>;
before(() => {
  samples = sampleScripts();
});
after(() => samples.remove());

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

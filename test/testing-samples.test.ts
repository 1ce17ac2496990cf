// pagewire/testing on the samples: each driven through its own page's client, as a person would.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { open } from '../testing/index.js';
import { sampleScripts } from './helpers/fixtures.js';

let samples: ReturnType<typeof sampleScripts>;
before(() => {
  samples = sampleScripts();
});
after(() => samples.remove());

test('counter: each click is handled by the script and shown by the page', async () => {
  const page = await open(samples.dir, '/counter?start=5');
  assert.equal(page.status, 200);
  assert.equal(page.$('#count')?.textContent, '5');
  await page.click('#increment');
  await page.click('#increment');
  await page.click('#decrement');
  assert.equal(page.$('#count')?.textContent, '6');
  assert.deepEqual(page.pushes, [
    { name: 'count', data: 6 },
    { name: 'count', data: 7 },
    { name: 'count', data: 6 },
  ]);
  await page.close();
  assert.equal(page.closed, true);
});

test('clock: the fake clock moves the script’s interval and its Date, without waiting', async () => {
  const page = await open(samples.dir, '/clock');
  const start = page.clock.now();
  assert.equal(page.$('#now')?.textContent, new Date(start).toISOString());
  await page.clock.tick(999);
  assert.equal(page.pushes.length, 0);
  await page.clock.tick(1);
  assert.deepEqual(page.pushes, [{ name: 'tick', data: { now: new Date(start + 1000).toISOString(), ticks: 1 } }]);
  await page.clock.tick(60_000);
  assert.equal(page.pushes.length, 61);
  assert.equal(page.$('#ticks')?.textContent, '61');
  assert.equal(page.$('#now')?.textContent, new Date(start + 61_000).toISOString());
  await page.close();
  // The close hook ran (it logs how many ticks it pushed), and the timer with it.
  assert.ok(page.closed);
});

test('chat: a post from one page reaches another page opened in the same test', async () => {
  const alice = await open(samples.dir, '/chat');
  const bob = await open(samples.dir, '/chat');
  await alice.submit('#post', { name: 'Alice', text: 'Hi Bob' });
  assert.deepEqual(await bob.next('post'), await alice.next('post'));
  assert.equal(bob.$('#posts li:last-child')?.textContent, 'Alice: Hi Bob');
  assert.equal(alice.$('#posts li:last-child')?.textContent, 'Alice: Hi Bob');
  // The page's own script emptied the field, as in a browser.
  assert.equal((alice.$('#text') as unknown as { value: string }).value, '');
  // A page opened later shows the history the store keeps.
  const carol = await open(samples.dir, '/chat');
  assert.equal(carol.$('#posts li:last-child')?.textContent, 'Alice: Hi Bob');
  await Promise.all([alice.close(), bob.close(), carol.close()]);
});

test('notes: the lock passes to the waiting page when the editing page closes', async () => {
  const first = await open(samples.dir, '/notes');
  const second = await open(samples.dir, '/notes');
  assert.equal(first.$('#status')?.textContent, 'You are editing the notes.');
  assert.equal(second.$('#status')?.textContent, 'The notes are locked by another editor.');
  (first.$('#notes') as unknown as { value: string }).value = 'Buy milk';
  await first.click('#save');
  assert.equal(await second.next('text'), 'Buy milk');
  assert.equal((second.$('#notes') as unknown as { value: string }).value, 'Buy milk');
  assert.equal(second.$('#save')?.hasAttribute('disabled'), true);
  await first.close();
  // The lock was an owned resource of the first page: released when it closed, taken by the second.
  assert.deepEqual(await second.next('lock'), { editing: true, text: 'Buy milk' });
  assert.equal(second.$('#status')?.textContent, 'You are editing the notes.');
  assert.equal((second.$('#save') as unknown as { disabled: boolean }).disabled, false);
  await second.close();
});

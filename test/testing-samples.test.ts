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

const fieldValue = (element: unknown): string => (element as { value: string }).value;

test('counter: each click is handled by the script and shown by the page; each page counts alone', async () => {
  const page = await open(samples.dir, '/counter?start=5');
  const other = await open(samples.dir, '/counter');
  assert.equal(page.status, 200);
  assert.equal(page.$('#count')?.textContent, '5');
  await page.click('#increment');
  await page.click('#increment');
  await page.click('#decrement');
  assert.equal(page.$('#count')?.textContent, '6');
  assert.equal(other.$('#count')?.textContent, '0');
  await Promise.all([page.close(), other.close()]);
  assert.equal(page.closed, true);
});

test('clock: the fake clock moves the script’s interval and its Date, without waiting', async () => {
  const page = await open(samples.dir, '/clock');
  const start = page.clock.now();
  assert.equal(page.$('#now')?.textContent, new Date(start).toISOString());
  await page.clock.tick(999);
  assert.equal(page.$('#ticks')?.textContent, '0');
  await page.clock.tick(1);
  assert.equal(page.$('#ticks')?.textContent, '1');
  assert.equal(page.$('#now')?.textContent, new Date(start + 1000).toISOString());
  await page.clock.tick(60_000);
  assert.equal(page.$('#ticks')?.textContent, '61');
  assert.equal(page.$('#now')?.textContent, new Date(start + 61_000).toISOString());
  await page.close();
  // Its close hook ran: it logs how many ticks the page had.
  assert.match(page.logs.at(-1)?.message ?? '', /clock stopped after 61 ticks/);
});

test('chat: a post from one page reaches another page opened in the same test', async () => {
  const alice = await open(samples.dir, '/chat');
  const bob = await open(samples.dir, '/chat');
  await alice.submit('#post', { name: 'Alice', text: 'Hi Bob' });
  const last = (page: typeof alice) => page.$('#posts li:last-child')?.textContent;
  await bob.waitFor(() => last(bob) === 'Alice: Hi Bob');
  await alice.waitFor(() => last(alice) === 'Alice: Hi Bob');
  assert.equal(fieldValue(alice.$('#text')), '');
  // A page opened later shows the history the store keeps.
  const carol = await open(samples.dir, '/chat');
  assert.equal(last(carol), 'Alice: Hi Bob');
  await Promise.all([alice.close(), bob.close(), carol.close()]);
});

test('notes: the lock passes to the waiting page when the editing page closes', async () => {
  const first = await open(samples.dir, '/notes');
  const second = await open(samples.dir, '/notes');
  assert.equal(first.$('#status')?.textContent, 'You are editing the notes.');
  assert.equal(second.$('#status')?.textContent, 'The notes are locked by another editor.');
  assert.equal(second.$('#save')?.hasAttribute('disabled'), true);
  (first.$('#notes') as unknown as { value: string }).value = 'Buy milk';
  await first.click('#save');
  await second.waitFor(() => fieldValue(second.$('#notes')) === 'Buy milk');
  await first.close();
  // The lock was an owned resource of the first page: released when it closed, taken by the second.
  await second.waitFor(() => second.$('#status')?.textContent === 'You are editing the notes.');
  assert.equal(second.$('#save')?.hasAttribute('disabled'), false);
  assert.equal(fieldValue(second.$('#notes')), 'Buy milk');
  await second.close();
});

test('todo: add, toggle and remove; the count follows', async () => {
  const page = await open(samples.dir, '/todo');
  assert.equal(page.$('#count')?.textContent, 'Nothing to do.');
  await page.submit('#add', { text: 'Milk' });
  await page.submit('#add', { text: '  Bread ' });
  assert.deepEqual(
    page.$$('#todos li label').map((label) => label.textContent?.trim()),
    ['Milk', 'Bread'],
  );
  assert.equal(page.$('#count')?.textContent, '2 of 2 left');
  // A checkbox clicked: its pw-change says it is checked.
  await page.click('#done-1');
  assert.equal(page.$('#todo-1 s')?.textContent, 'Milk');
  assert.equal(page.$('#count')?.textContent, '1 of 2 left');
  await page.click('#todo-2 button');
  assert.equal(page.$('#todo-2'), null);
  assert.equal(page.$('#count')?.textContent, '0 of 1 left');
  // An empty text adds nothing.
  await page.submit('#add', { text: '   ' });
  assert.equal(page.$$('#todos li').length, 1);
  await page.close();
});

test('signup: each error beside the field typed in, the field keeping focus and value; a welcome', async () => {
  const page = await open(samples.dir, '/signup');
  await page.input('#name', 'A');
  assert.equal(page.$('#name-error')?.textContent, 'At least 2 characters.');
  assert.equal(page.$('#email-error')?.textContent, '', 'a field not typed in shows nothing yet');
  assert.equal(page.document.activeElement?.id, 'name');
  assert.equal(fieldValue(page.$('#name')), 'A');
  await page.input('#name', 'Ada');
  assert.equal(page.$('#name-error')?.textContent, '');
  await page.input('#email', 'ada@examplecom');
  assert.equal(page.$('#email-error')?.textContent, 'Not an email address yet.');
  await page.input('#email', 'ada@example.com');
  await page.input('#password', 'secret-word');
  await page.input('#confirm', 'secret-wor');
  assert.equal(page.$('#confirm-error')?.textContent, 'Not the same as the password.');
  assert.equal(page.$('#confirm')?.getAttribute('aria-invalid'), 'true');
  await page.input('#confirm', 'secret-word');
  assert.equal(page.$('#confirm-error')?.textContent, '');
  assert.equal(fieldValue(page.$('#name')), 'Ada', 'a field left keeps its value');
  await page.submit('#signup');
  assert.equal(page.$('#welcome')?.textContent, 'Welcome, Ada!');
  await page.close();
});

test('signup: a submit with fields empty or wrong shows every error, and no welcome', async () => {
  const page = await open(samples.dir, '/signup');
  await page.submit('#signup', { email: 'nobody' });
  assert.equal(page.$('#name-error')?.textContent, 'At least 2 characters.');
  assert.equal(page.$('#email-error')?.textContent, 'Not an email address yet.');
  assert.equal(page.$('#password-error')?.textContent, 'At least 8 characters.');
  assert.equal(page.$('#confirm-error')?.textContent, '');
  assert.equal(fieldValue(page.$('#email')), 'nobody');
  assert.equal(page.$('#welcome'), null);
  await page.close();
});

test('search: typed fast, only the first and the last query run; the fake clock plays the slow source', async () => {
  const page = await open(samples.dir, '/search');
  // Each event is done when its query is: the clock must move for them to end.
  const typing = ['k', 'ki', 'kiw', 'kiwi'].map((text) => page.input('#q', text));
  await page.clock.tick(1500);
  assert.equal(page.$('#status')?.getAttribute('data-query'), 'k');
  await page.clock.tick(1500);
  await Promise.all(typing);
  assert.equal(page.$('#status')?.getAttribute('data-query'), 'kiwi');
  assert.match(page.$('#status')?.textContent ?? '', /^1 result\(s\) for kiwi\. Queries run for this page: k, kiwi\.$/);
  assert.deepEqual(
    page.$$('#results li').map((item) => item.textContent),
    ['Kiwi'],
  );
  await page.close();
});

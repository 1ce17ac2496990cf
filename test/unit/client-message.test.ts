import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomId } from '../../lib/http/session.js';
import { parseClientMessage } from '../../lib/socket/client-message.js';

// Every frame a browser sends is judged here before a script sees it: each accepted shape comes
// out with its fields only, and each refusal says what is wrong.
const page = randomId();
const parse = (value: unknown) => parseClientMessage(typeof value === 'string' ? value : JSON.stringify(value));

describe('parseClientMessage: the messages a browser may send', () => {
  it('ping, whatever else it carries', () => {
    assert.deepEqual(parse({ t: 'ping' }), { t: 'ping' });
    assert.deepEqual(parse({ t: 'ping', p: 'not a page', x: 1 }), { t: 'ping' });
  });

  it('join and ack: a page and the last push received', () => {
    for (const t of ['join', 'ack']) {
      assert.deepEqual(parse({ t, p: page, a: 0 }), { t, p: page, a: 0 });
      assert.deepEqual(parse({ t, p: page, a: 41, s: 3, n: 'x' }), { t, p: page, a: 41 });
      assert.deepEqual(parse({ t, p: page, a: Number.MAX_SAFE_INTEGER }), { t, p: page, a: Number.MAX_SAFE_INTEGER });
    }
  });

  it('ev: a page, its number, its name and its data (any JSON, or none)', () => {
    assert.deepEqual(parse({ t: 'ev', p: page, s: 1, n: 'click', d: { nested: [1, null, 'x'] } }), {
      t: 'ev',
      p: page,
      s: 1,
      n: 'click',
      d: { nested: [1, null, 'x'] },
    });
    const longest = 'x'.repeat(200);
    const noData = parse({ t: 'ev', p: page, s: 7, n: longest });
    assert.deepEqual(noData, { t: 'ev', p: page, s: 7, n: longest, d: undefined });
    for (const d of [null, 0, false, '', []]) {
      assert.deepEqual(parse({ t: 'ev', p: page, s: 2, n: 'e', d }), { t: 'ev', p: page, s: 2, n: 'e', d });
    }
  });

  it('bye: a page', () => {
    assert.deepEqual(parse({ t: 'bye', p: page, a: 'ignored' }), { t: 'bye', p: page });
  });
});

describe('parseClientMessage: what it refuses, and why', () => {
  it('text that is not JSON', () => {
    for (const text of ['', 'not json', '{"t":"ping"', "{'t':'ping'}", '{"t":"ping"}x']) {
      assert.equal(parseClientMessage(text), 'not JSON', text);
    }
  });

  it('JSON that is not an object', () => {
    for (const text of ['null', '[1,2]', '[]', '"ping"', '42', 'true']) {
      assert.equal(parseClientMessage(text), 'not a JSON object', text);
    }
  });

  it('a message without a page id, or with one that is not an id', () => {
    const refusal = "'p' must be a page id";
    const near = [page.slice(1), `${page}x`, `${page.slice(1)}!`, `${page.slice(1)}/`];
    const notIds = [undefined, null, 42, '', 'short', ...near, [page]];
    for (const p of notIds) {
      for (const t of ['join', 'ack', 'ev', 'bye', 'nope', undefined]) {
        assert.equal(parse({ t, p, a: 0, s: 1, n: 'e' }), refusal, `${t} ${JSON.stringify(p)}`);
      }
    }
  });

  it("join and ack without a count in 'a'", () => {
    const refusal = "'a' must be the number of the last push received (an integer >= 0)";
    for (const t of ['join', 'ack']) {
      for (const a of [undefined, null, -1, 1.5, '3', 2 ** 53, [0], true]) {
        assert.equal(parse({ t, p: page, a }), refusal, `${t} ${JSON.stringify(a)}`);
      }
    }
    // An exponent that JSON allows and no integer has.
    assert.equal(parseClientMessage(`{"t":"join","p":"${page}","a":1e400}`), refusal);
  });

  it("ev without a name of 1 to 200 characters in 'n'", () => {
    const refusal = "'n' must be an event name of 1 to 200 characters";
    for (const n of [undefined, null, '', 'x'.repeat(201), 42, ['click'], { n: 'click' }]) {
      assert.equal(parse({ t: 'ev', p: page, s: 1, n }), refusal, JSON.stringify(n));
    }
  });

  it("ev without its number (from 1) in 's'", () => {
    const refusal = "'s' must be the event's number (an integer >= 1)";
    for (const s of [undefined, null, 0, -1, 1.5, '1', 2 ** 53, true]) {
      assert.equal(parse({ t: 'ev', p: page, s, n: 'e' }), refusal, JSON.stringify(s));
    }
  });

  it("ev with a coalescing key 'k' of 1 to 200 characters, or none", () => {
    assert.deepEqual(parse({ t: 'ev', p: page, s: 1, n: 'e', d: 1, k: 'input#q' }), {
      t: 'ev',
      p: page,
      s: 1,
      n: 'e',
      d: 1,
      k: 'input#q',
    });
    const refusal = "'k' must be a coalescing key of 1 to 200 characters";
    for (const k of [null, '', 'k'.repeat(201), 7, ['k'], { k: 1 }]) {
      assert.equal(parse({ t: 'ev', p: page, s: 1, n: 'e', k }), refusal, JSON.stringify(k));
    }
  });

  it('a type it does not know, named (at most 40 characters of it)', () => {
    assert.equal(parse({ t: 'nope', p: page }), "unknown message type 'nope'");
    assert.equal(parse({ p: page }), "unknown message type 'undefined'");
    assert.equal(parse({ t: 5, p: page }), "unknown message type '5'");
    assert.equal(parse({ t: 'PING', p: page }), "unknown message type 'PING'");
    assert.equal(parse({ t: `${'y'.repeat(40)}and more`, p: page }), `unknown message type '${'y'.repeat(40)}'`);
  });
});

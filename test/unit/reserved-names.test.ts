/**
 * Event names scripts may not push: the client's own (`expired`, `close`, ...) and Pagewire's
 * (`pw:` and anything after it, `pw:dom` carrying DOM updates), also when a broadcast arrives
 * from another process over Redis, whose messages nobody vouches for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEnvelope } from '../../lib/redis/redis-bus.js';
import { isReservedEventName } from '../../protocol/wire.js';

describe('reserved event names', () => {
  it('are the client events and every name starting with pw:', () => {
    for (const name of ['expired', 'close', 'pw:dom', 'pw:', 'pw:anything'])
      assert.equal(isReservedEventName(name), true);
    for (const name of ['saved', 'pw', 'pwdom', 'PW:dom', 'x:pw:dom']) assert.equal(isReservedEventName(name), false);
  });

  it('a broadcast from Redis with one is dropped; another goes through', () => {
    const envelope = (name: string) =>
      JSON.stringify({ from: 'other', message: { kind: 'broadcast', script: 'a.ts', name, data: '[]' } });
    assert.equal(parseEnvelope(envelope('pw:dom')), undefined);
    assert.equal(parseEnvelope(envelope('expired')), undefined);
    assert.deepEqual(parseEnvelope(envelope('saved')), {
      from: 'other',
      message: { kind: 'broadcast', script: 'a.ts', name: 'saved', data: '[]' },
    });
  });
});

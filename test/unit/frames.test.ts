import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerMessage } from '../../protocol/wire.js';
import { frame, pushFrame, pushTail } from '../../lib/socket/frames.js';

describe('server frames', () => {
  it('a push spliced from its tail reads as the typed message the client expects', () => {
    const tail = pushTail('chat "hi"', JSON.stringify({ text: 'a\nb', n: [1, 2] }));
    const expected: ServerMessage = {
      t: 'push',
      p: 'abcdefghijklmnopqrstuv',
      s: 7,
      a: 3,
      n: 'chat "hi"',
      d: { text: 'a\nb', n: [1, 2] },
    };
    assert.deepEqual(JSON.parse(pushFrame('abcdefghijklmnopqrstuv', 7, 3, tail)), expected);
    const { a: _ack, ...withoutAck } = expected;
    assert.deepEqual(JSON.parse(pushFrame('abcdefghijklmnopqrstuv', 7, undefined, tail)), withoutAck);
  });

  it('every other message is its JSON', () => {
    const messages: Array<Exclude<ServerMessage, { t: 'push' }>> = [
      { t: 'joined', p: 'x', a: 2, final: true },
      { t: 'ack', p: 'x', a: 9 },
      { t: 'closed', p: 'x', reason: 'idle' },
      { t: 'pong' },
      { t: 'error', code: 'RATE_LIMITED', message: 'slow down' },
    ];
    for (const message of messages) assert.deepEqual(JSON.parse(frame(message)), message);
  });
});

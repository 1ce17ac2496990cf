/**
 * SharedCalls (lib/shared/shared-calls.ts), the host's end of scripts' `shared` calls, given
 * messages no real sandbox sends: the host trusts no runner, so a forged call is refused before it
 * reaches the store, and a runner that ignores the flood bound is held to it all the same.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostToRunner, RunnerToHost, ScriptRunner } from '../../runner/messages.js';
import { SharedCalls } from '../../lib/shared/shared-calls.js';
import {
  SHARED_CALLS_IN_FLIGHT,
  type SharedAnswer,
  type SharedOp,
  type SharedStore,
} from '../../lib/shared/shared-op.js';

type Answer = Extract<HostToRunner, { type: 'shared-answer' }>;

/** A store that answers only when told: calls stay in flight. */
class HeldStore implements SharedStore {
  readonly ops: SharedOp[] = [];
  readonly #waiting: Array<(answer: SharedAnswer) => void> = [];
  run(op: SharedOp): Promise<SharedAnswer> {
    this.ops.push(op);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
  answerAll(): void {
    for (const answer of this.#waiting.splice(0)) answer({ ok: true, json: '1' });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The runner side: what the host posts back. */
function runnerOf(answers: Answer[]): ScriptRunner {
  return {
    post: (message) => {
      if (message.type === 'shared-answer') answers.push(message);
    },
    onMessage: () => {},
    close: () => Promise.resolve(),
  };
}

const limits = { maxSharedKeyBytes: 16, maxSharedValueBytes: 64 };
const call = (pageId: string, callId: number, op: unknown) =>
  ({ type: 'shared-call', pageId, callId, op }) as Extract<RunnerToHost, { type: 'shared-call' }>;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SharedCalls', () => {
  it(`holds a page to ${SHARED_CALLS_IN_FLIGHT} calls in flight, whatever its runner sends`, async () => {
    const store = new HeldStore();
    const answers: Answer[] = [];
    const calls = new SharedCalls(store, runnerOf(answers), limits);
    for (let i = 1; i <= SHARED_CALLS_IN_FLIGHT + 1; i++) calls.take(call('flood', i, { op: 'incr', key: 'n', by: 1 }));
    calls.take(call('other', 1, { op: 'get', key: 'n' }));
    assert.equal(store.ops.length, SHARED_CALLS_IN_FLIGHT + 1);
    assert.deepEqual(store.ops.at(-1), { op: 'get', key: 'n' });
    // Answers wait for the next turn of the event loop, never the microtask that asked.
    assert.equal(answers.length, 0);
    await nextTurn();
    assert.deepEqual(
      answers.map((a) => [a.pageId, a.callId, a.answer.ok ? 'ok' : a.answer.code]),
      [['flood', SHARED_CALLS_IN_FLIGHT + 1, 'SHARED_QUEUE_FULL']],
    );
    store.answerAll();
    await nextTurn();
    await nextTurn();
    assert.equal(answers.length, SHARED_CALLS_IN_FLIGHT + 2);
    // Answered, the page may call again.
    calls.take(call('flood', 99, { op: 'get', key: 'n' }));
    assert.equal(store.ops.length, SHARED_CALLS_IN_FLIGHT + 2);
  });

  it('refuses a forged call before the store sees it: shape, JSON, sizes', async () => {
    const store = new HeldStore();
    const answers: Answer[] = [];
    const calls = new SharedCalls(store, runnerOf(answers), limits);
    calls.take(call('p', 1, { op: 'set', key: 'a', value: 'not json' }));
    calls.take(call('p', 2, { op: 'set', key: 'k'.repeat(17), value: '1' }));
    calls.take(call('p', 3, { op: 'push', key: 'a', value: JSON.stringify('x'.repeat(64)) }));
    calls.take(call('p', 4, { op: 'eval', key: 'a' }));
    calls.take(call('p', 5, null));
    calls.take(call('p', 1.5, { op: 'get', key: 'a' }));
    await nextTurn();
    assert.equal(store.ops.length, 0);
    assert.deepEqual(
      answers.map((a) => [a.callId, a.answer.ok ? 'ok' : a.answer.code]),
      [
        [1, 'SHARED_BAD_CALL'],
        [2, 'SHARED_KEY_TOO_LARGE'],
        [3, 'SHARED_VALUE_TOO_LARGE'],
        [4, 'SHARED_BAD_CALL'],
        [5, 'SHARED_BAD_CALL'],
      ],
    );
  });

  it('posts nothing once closed', async () => {
    const store = new HeldStore();
    const answers: Answer[] = [];
    const calls = new SharedCalls(store, runnerOf(answers), limits);
    calls.take(call('p', 1, { op: 'get', key: 'a' }));
    calls.close();
    store.answerAll();
    await nextTurn();
    await nextTurn();
    assert.deepEqual(answers, []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeTask, TaskLedger } from '../../runner/pool/task-ledger.js';

/** What a worker writes into the shared progress: the task it runs (0: none), the last it started. */
function worker(progress: Int32Array) {
  return {
    starts(task: number) {
      Atomics.store(progress, 1, task);
      Atomics.store(progress, 0, task);
    },
    idles() {
      Atomics.store(progress, 0, 0);
    },
  };
}

describe('TaskLedger (the watchdog bookkeeping of one worker)', () => {
  it('names the task a worker runs, and forgets those it has gone past', () => {
    const progress = new Int32Array(new SharedArrayBuffer(8));
    const ledger = new TaskLedger(progress);
    const first = ledger.add({ what: 'the render', script: 'a.ts' });
    const second = ledger.add({ what: "event 'save'", script: 'a.ts', pageId: 'p' });
    const third = ledger.add({ what: "channel 'chat'" });
    assert.deepEqual([first, second, third], [1, 2, 3]);
    assert.equal(ledger.running(), undefined, 'nothing started yet');
    const thread = worker(progress);
    thread.starts(second);
    assert.equal(describeTask(ledger.running() ?? { what: '?' }), "event 'save' of a.ts");
    ledger.prune();
    assert.equal(ledger.size, 2, 'the first is past; the one running and the one waiting stay');
    thread.idles();
    assert.equal(ledger.running(), undefined, 'between tasks: a timer, or code after an await');
  });

  it('numbers wrap around int32 and skip 0, and pruning still goes by order', () => {
    const progress = new Int32Array(new SharedArrayBuffer(8));
    const ledger = new TaskLedger(progress, 2 ** 31 - 2);
    const numbers = [1, 2, 3, 4].map((n) => ledger.add({ what: `task ${n}` }));
    assert.deepEqual(numbers, [2 ** 31 - 1, -(2 ** 31), -(2 ** 31) + 1, -(2 ** 31) + 2]);
    worker(progress).starts(numbers[2] as number);
    ledger.prune();
    assert.equal(ledger.size, 2, 'the two numbered before the wrap are past');
    assert.equal(ledger.running()?.what, 'task 3');
    const fromMinusOne = new TaskLedger(new Int32Array(new SharedArrayBuffer(8)), -1);
    assert.equal(fromMinusOne.add({ what: 'x' }), 1, '0 is never a task number');
  });

  it('names the last task started after it awaited, and the tasks never started (renders go elsewhere)', () => {
    const progress = new Int32Array(new SharedArrayBuffer(8));
    const ledger = new TaskLedger(progress, 2 ** 31 - 2);
    // The worker went through every task before these.
    Atomics.store(progress, 1, 2 ** 31 - 2);
    const numbers = [1, 2, 3].map((n) => ledger.add({ what: `task ${n}`, script: `s${n}.ts` }));
    assert.deepEqual(
      ledger.unstarted().map((task) => task.what),
      ['task 1', 'task 2', 'task 3'],
    );
    const thread = worker(progress);
    thread.starts(numbers[1] as number);
    thread.idles();
    assert.equal(ledger.running(), undefined);
    assert.equal(ledger.lastStarted()?.script, 's2.ts', 'its code after an await is still the last it started');
    assert.deepEqual(
      ledger.unstarted().map((task) => task.what),
      ['task 3'],
      'across the wrap of the numbers',
    );
  });
});

/**
 * Building a script's sandbox is Pagewire's own work, not the script's: a worker's watchdog lets
 * it stay silent longer while it builds (a cold worker on a loaded machine took over 2 s), and the
 * runner says exactly when it builds, none of the script's code inside.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SANDBOX_BUILD_LIMIT, silenceAllowed } from '../../runner/pool/worker-slot.js';
import { scriptsFolder } from '../helpers/fixtures.js';
import { RunnerHarness } from '../helpers/runner.js';

describe("the watchdog and a script's sandbox being built", () => {
  it('allows a building worker SANDBOX_BUILD_LIMIT of silence, and watchdogTimeout again once it spoke', () => {
    assert.equal(silenceAllowed({ buildingSince: undefined }, 2000), 2000);
    assert.equal(silenceAllowed({ buildingSince: 1234 }, 2000), SANDBOX_BUILD_LIMIT);
    assert.ok(SANDBOX_BUILD_LIMIT > 2000);
    // A watchdog set longer than the limit is never shortened by a build.
    assert.equal(silenceAllowed({ buildingSince: 1234 }, SANDBOX_BUILD_LIMIT * 2), SANDBOX_BUILD_LIMIT * 2);
  });

  it("says when it builds: before the script's first line, once per script, and a failed build ends too", async () => {
    const folder = scriptsFolder({
      'hello.ts': "console.log('first line');\necho('hello');\n",
      'broken.ts': 'const = ;\n',
    });
    const seen: string[] = [];
    // At once, as in a worker: every message is seen as it is sent, in order with the build's ends.
    const harness = new RunnerHarness(folder.dir, {
      delivery: 'at-once',
      settings: { sandboxBuild: { start: () => seen.push('build'), end: () => seen.push('built') } },
    });
    harness.runner.onMessage((message) => {
      harness.messages.push(message);
      if (message.type === 'log') seen.push(`log ${message.text}`);
      if (message.type === 'rendered' || message.type === 'render-failed')
        seen.push(`${message.type} ${message.pageId}`);
    });
    try {
      const first = await harness.render('hello.ts');
      const second = await harness.render('hello.ts');
      const broken = await harness.render('broken.ts');
      assert.equal(broken.result.type, 'render-failed');
      assert.deepEqual(seen, [
        'build',
        'built',
        'log first line',
        `rendered ${first.pageId}`,
        'log first line',
        `rendered ${second.pageId}`,
        'build',
        'built',
        `render-failed ${broken.pageId}`,
      ]);
    } finally {
      await harness.runner.close();
      folder.remove();
    }
  });
});

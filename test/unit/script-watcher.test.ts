import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScriptWatcher } from '../../lib/dev/script-watcher.js';
import type { FileChange } from '../../runner/messages.js';
import { scriptsFolder } from '../helpers/fixtures.js';

type Report = { files: string[]; recheck: boolean };

/** A watcher over a real folder (chokidar), whose reports the test awaits one by one. */
async function watching(folder: ReturnType<typeof scriptsFolder>) {
  const reports: Report[] = [];
  let wake: () => void = () => {};
  const watcher = new ScriptWatcher(
    folder.dir,
    (changes: FileChange[], recheck: boolean) => {
      reports.push({ files: changes.map((change) => change.file).sort(), recheck });
      wake();
    },
    // The second look comes at once: its timer is then always due before any later write's report.
    0,
  );
  await watcher.ready;
  const next = async (count: number) => {
    while (reports.length < count) await new Promise<void>((resolve) => (wake = resolve));
    return reports.slice(0, count);
  };
  return { watcher, reports, next };
}

describe('ScriptWatcher', () => {
  it('looks again at a file that was empty, not at one written once', async () => {
    const folder = scriptsFolder({ 'a.ts': 'one', 'b.ts': 'one' });
    const { watcher, next } = await watching(folder);
    try {
      folder.write('a.ts', 'two');
      assert.deepEqual(await next(1), [{ files: ['a.ts'], recheck: false }]);
      // A sentinel written after the first report: had a.ts been looked at again, that report
      // would come first (its timer was due before this write was even seen).
      folder.write('b.ts', '');
      assert.deepEqual((await next(3)).slice(1), [
        { files: ['b.ts'], recheck: false },
        { files: ['b.ts'], recheck: true },
      ]);
    } finally {
      await watcher.close();
      folder.remove();
    }
  });
});

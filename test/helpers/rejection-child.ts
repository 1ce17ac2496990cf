// Run in a child process by runner.test.ts: the test runner itself listens for unhandled
// rejections and uncaught exceptions (and fails the test on one), so the guard is tested where
// nothing else listens.
import { RunnerHarness } from './runner.js';

const harness = new RunnerHarness(process.argv[2] as string);
const { pageId } = await harness.render('throws.ts');
harness.event(pageId, 'reject');
const rejection = await harness.next(
  (m) => m.type === 'log' && m.level === 'error' && m.text.includes('nobody awaited'),
);
harness.event(pageId, 'callback');
const exception = await harness.next(
  (m) => m.type === 'log' && m.level === 'error' && m.text.includes('callback broke'),
);
// Alive: it still answers. (A crash put off to later would come before this process ends by
// itself, and the test checks that it exits with status 0.)
harness.event(pageId, 'ping');
await harness.next((m) => m.type === 'push' && m.name === 'pong');
console.log(JSON.stringify({ rejection, exception, alive: true }));
await harness.runner.close();

/**
 * A page's mailbox: client events and channel deliveries run one at a time, in order, an async
 * one finishing before the next starts.
 */
import type { DispatchOutcome, SandboxErrorCode } from '../api.js';
import { withoutPrototypes } from '../codec.js';
import { boot, mainScript, port } from './boot.js';
import { inPage } from './current-page.js';
import { RESERVED_EVENT_PREFIX, VIEW_RESEND_EVENT } from '../../../protocol/wire.js';
import { holdDomUpdates, resendView } from './dom-updates.js';
import { guard } from './errors.js';
import { forLog } from '../../../lib/log-text.js';
import { isThenable } from './inspect.js';
import { pages, type PageState, type Task } from './pages.js';
import { UPLOAD_EVENT } from '../../../lib/uploads/upload-events.js';
import { deliverUpload } from './uploads.js';

/** The coalescing key and number of each queued client event that has one (wire.ts `k`). */
const keyed = new WeakMap<Task, { key: string; seq: number }>();

/**
 * A client event for a page: queued for its `__serverSocketEvent`; the host hears `done` with
 * its number `seq` once it is handled. One with a `key` takes the place of a queued one with the
 * same key that has not started (latest wins), whose `done` is reported at once: it goes to the
 * end of the queue, so that it still runs after the events sent before it (strict order).
 */
export function dispatch(pageId: string, name: string, dataJson: string, seq: number, key: string): DispatchOutcome {
  const page = pages.get(pageId);
  if (page?.state !== 'live') return 'gone';
  // The host's own (the socket refuses it from browsers): no number, no `done`.
  if (name === UPLOAD_EVENT) {
    deliverUpload(page, dataJson);
    return 'ok';
  }
  if (name.startsWith(RESERVED_EVENT_PREFIX)) return pagewireEvent(page, name, dataJson, seq);
  const hook = page.hook;
  if (!hook) {
    // The name is the browser's: one line in the log, whatever it holds.
    const event = `event '${forLog(name)}'`;
    port('log', page.id, 'warn', `${event} ignored: ${mainScript} defines no __serverSocketEvent(name, event)`);
    port('done', page.id, seq);
    return 'ok';
  }
  const replaced = key === '' ? -1 : page.queue.findIndex((task) => keyed.get(task)?.key === key);
  const old = replaced === -1 ? undefined : keyed.get(page.queue.splice(replaced, 1)[0] as Task);
  if (old) port('done', page.id, old.seq);
  else if (page.queue.length >= boot.maxQueuedEvents) return 'full';
  // The browser's data, as hostile as a request body.
  const parsed = () => withoutPrototypes(JSON.parse(dataJson));
  const task = enqueued(
    page,
    () => hook(name, parsed()),
    'EVENT_ERROR',
    () => port('done', page.id, seq),
  );
  if (key !== '') keyed.set(task, { key, seq });
  page.queue.push(task);
  drain(page);
  return 'ok';
}

/**
 * A `pw:` event is Pagewire's own, never the script's: VIEW_RESEND_EVENT queues the view's whole
 * HTML (after the events before it, like any); any other name is only reported handled. One naming
 * no view is a no-op in the queue: pagewire/testing waits on it for the tasks before it (uploads).
 */
function pagewireEvent(page: PageState, name: string, dataJson: string, seq: number): DispatchOutcome {
  if (name !== VIEW_RESEND_EVENT) {
    port('done', page.id, seq);
    return 'ok';
  }
  if (page.queue.length >= boot.maxQueuedEvents) return 'full';
  const id = () => {
    try {
      return (JSON.parse(dataJson) as { id?: unknown } | null)?.id;
    } catch {
      return undefined;
    }
  };
  page.queue.push(
    enqueued(
      page,
      () => resendView(page, id()),
      'EVENT_ERROR',
      () => port('done', page.id, seq),
    ),
  );
  drain(page);
  return 'ok';
}

export function enqueue(page: PageState, task: Task, code: SandboxErrorCode): void {
  page.queue.push(enqueued(page, task, code));
  drain(page);
}

/**
 * The mailbox's form of a task: run as the page, its failure reported, then `after` (sync or
 * not). Its DOM updates (and its views' new HTML) go out as one push when it ends
 * (dom-updates.ts), before `after`: the browser applies them before the event is `done`.
 */
function enqueued(page: PageState, task: Task, code: SandboxErrorCode, after?: () => void): Task {
  const run = () => inPage(page, () => guard(page.id, code, () => holdDomUpdates(page, code, task)));
  if (!after) return run;
  return () => {
    const result = run();
    if (!isThenable(result)) return after();
    // `guard` reports a rejection and settles: `after` runs either way.
    return Promise.resolve(result).then(after);
  };
}

/** Runs what waits once the task running now (if any) is over. */
export function drain(page: PageState): void {
  // Busy during sync tasks too: a task that publishes to its own page's channel, or pushes
  // into its own mailbox, only queues; it never runs a task inside another.
  if (page.busy) return;
  page.busy = true;
  while (page.queue.length > 0 && page.state !== 'closed') {
    const task = page.queue.shift() as Task;
    const result = task();
    if (isThenable(result)) {
      result.then(() => {
        page.busy = false;
        drain(page);
      });
      return;
    }
  }
  page.busy = false;
}

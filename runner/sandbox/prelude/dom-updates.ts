/**
 * Server-driven DOM updates: `page.update/replace/append/prepend/remove/navigate`, and views
 * (`page.view`). Each call checks its arguments here, in the sandbox, so that a wrong one throws
 * at the script's line; the operations then wait in the page's batch, which goes out as one
 * `pw:dom` push (the client applies all of one push at once, client/dom-updates.ts):
 * - while a task of the page runs (`holdDomUpdates`: an event handler, a channel delivery, a
 *   timer callback's synchronous part), when it returned or its promise settled, so that all the
 *   updates of one handled event land together, before the event counts as handled; the page's
 *   views are rendered again then, and the ones whose HTML changed join the batch;
 * - otherwise (the render, code after a timer callback's await), at the end of the turn.
 * Any other push of the page (`server_socket_event`, `page.broadcast`) sends the batch first, so
 * that pushes and updates reach the browser in the order the script made them.
 */
import { parse } from 'css-what';
import { DOM_UPDATES_EVENT, type DomOp } from '../../../protocol/wire.js';
import type { SandboxErrorCode } from '../api.js';
import { port } from './boot.js';
import { guard } from './errors.js';
import { html, HtmlString } from './html.js';
import { inspect, isThenable } from './inspect.js';
import type { PageState } from './pages.js';
import { viewUpdate } from './view-diff.js';

interface View {
  /** The wrapper's id: `pwv-` and the start of the page id, then a number. */
  id: string;
  render: () => unknown;
  /** The HTML the browser has (last sent or first returned). */
  last: string;
  /**
   * The HTML string the browser keeps as the view's base for edits: the last one sent, once one
   * was (the first render's HTML is parsed by the browser, not kept); none again when the browser
   * asked for the view whole (VIEW_RESEND_EVENT), which `resend` then sends even if unchanged.
   */
  base?: string | undefined;
  resend?: boolean;
}

export interface DomBatch {
  ops: DomOp[];
  /** Tasks of the page running now (async ones overlap): its updates go when the last ends. */
  held: number;
  /** A flush is queued for the end of the turn. */
  queued: boolean;
  views: View[];
}

const batches = new WeakMap<PageState, DomBatch>();

/**
 * Views one page may have. Each is rendered after every task of the page, for its whole life: a
 * `page.view` in a handler would add one at each event, and each event would cost more than the
 * one before. A page built of views needs a handful.
 */
export const MAX_VIEWS_PER_PAGE = 100;

function batchOf(page: PageState): DomBatch {
  let batch = batches.get(page);
  if (!batch) {
    batch = { ops: [], held: 0, queued: false, views: [] };
    batches.set(page, batch);
  }
  return batch;
}

/** Sends the page's waiting updates now, as one push (nothing when none wait). */
export function flushDomUpdates(page: PageState): void {
  const batch = batches.get(page);
  if (!batch || batch.ops.length === 0) return;
  const ops = batch.ops;
  batch.ops = [];
  if (page.state === 'closed') return;
  port('push', page.id, DOM_UPDATES_EVENT, JSON.stringify(ops));
}

/**
 * Runs a task of the page (an event handler, a channel delivery, a timer callback) with the page's
 * updates held until it ends (sync return, or its promise settled, fulfilled or not): then its
 * views are rendered again (a throw there is reported as `code`), and the updates go out as one
 * push, before whatever marks the event handled. `untilSettled` false (timers): held only while
 * it runs synchronously; its views are rendered again then, and again when its promise settles.
 */
export function holdDomUpdates(
  page: PageState,
  code: SandboxErrorCode,
  task: () => unknown,
  untilSettled = true,
): unknown {
  const batch = batchOf(page);
  batch.held++;
  const release = () => {
    if (--batch.held > 0) return;
    if (batch.views.length > 0) guard(page.id, code, () => refreshViews(batch));
    flushDomUpdates(page);
  };
  let result: unknown;
  try {
    result = task();
  } catch (error) {
    release();
    throw error;
  }
  if (untilSettled) {
    if (!isThenable(result)) {
      release();
      return result;
    }
    return Promise.resolve(result).finally(release);
  }
  // A timer's callback overlaps the page's events, and may wait for ever (a polling loop): held
  // through its awaits, it would hold every update of the page. Its sync part is held; what it
  // does after an await goes at the end of that turn, and its views follow when it ends. Run
  // while a slow event is handled (an await), its updates go now, after those the event made so
  // far (the order the script made them in, as a push sends them): a clock keeps ticking. The
  // views, which would show the event half done, wait for the event.
  if (batch.held > 1) flushDomUpdates(page);
  release();
  if (!isThenable(result)) return result;
  return Promise.resolve(result).finally(() => {
    batch.held++;
    release();
  });
}

/**
 * Renders every view of the page again; one whose HTML changed is sent as the new inner HTML of
 * its wrapper (the wrapper stays, so what the browser set on it stays): as edits of the base the
 * browser keeps when they are smaller, whole when not (view-diff.ts). Pushes arrive exactly once
 * and in order, across reconnects, so the browser's base is always the `base` kept here.
 */
function refreshViews(batch: DomBatch): void {
  for (const view of batch.views) {
    const next = viewHtml(view.render);
    if (next === view.last && !view.resend) continue;
    batch.ops.push(viewUpdate(view.id, view.base, next));
    view.last = view.base = next;
    view.resend = false;
  }
}

/**
 * The browser could not apply a view's edits (VIEW_RESEND_EVENT, its data `{ id }` as hostile as
 * any): the view goes whole at the end of this task. An unknown id is ignored.
 */
export function resendView(page: PageState, id: unknown): void {
  const view = batches.get(page)?.views.find((candidate) => candidate.id === id);
  if (!view) return;
  view.base = undefined;
  view.resend = true;
}

function viewHtml(render: () => unknown): string {
  const value = render();
  if (isThenable(value)) {
    throw new TypeError(
      'page.view(render): render returned a promise; it must return its html at once (load the data in the ' +
        'event handler, keep it in a variable, and let render read it)',
    );
  }
  return markup(value);
}

function add(page: PageState, op: DomOp): void {
  const batch = batchOf(page);
  batch.ops.push(op);
  if (batch.held > 0 || batch.queued) return;
  batch.queued = true;
  void Promise.resolve().then(() => {
    batch.queued = false;
    if (batch.held === 0) flushDomUpdates(page);
  });
}

/** The combinators css-what reads at a selector's start: valid in `:has()`, not in `querySelectorAll`. */
const COMBINATORS = new Set(['child', 'parent', 'sibling', 'adjacent', 'descendant', 'column-combinator']);

/**
 * Throws a SyntaxError naming the selector when it is not valid CSS. css-what (cheerio's selector
 * parser) reads its syntax; a pseudo-class no browser knows still passes, and the browser then
 * ignores that update (warning in dev).
 */
function checkSelector(selector: unknown, what: string): asserts selector is string {
  if (typeof selector !== 'string' || selector.trim() === '') {
    throw new TypeError(`${what}: the selector must be a non-empty CSS selector string, got ${inspect(selector)}`);
  }
  let problem: string | undefined;
  try {
    for (const tokens of parse(selector)) {
      const first = tokens[0];
      const last = tokens[tokens.length - 1];
      if (!first || COMBINATORS.has(first.type) || (last && COMBINATORS.has(last.type))) {
        problem = 'a combinator (>, +, ~) needs a selector on each side';
      }
    }
  } catch (error) {
    problem = (error as Error).message;
  }
  if (problem !== undefined) {
    throw new SyntaxError(`${what}: '${selector}' is not a valid CSS selector (${problem})`);
  }
}

/** The markup of a value as a render writes it: `html` values as they are, anything else as escaped text. */
const markup = (value: unknown): string => html`${value}`.value;

/**
 * A URL `page.navigate()` may go to: a path, a query or a fragment of this site. Any scheme
 * (`javascript:`, `https:`) and a protocol-relative `//host` are refused: the prelude does not
 * know the page's origin (a proxy may stand before it), and the client checks the origin again.
 */
function checkUrl(url: unknown): asserts url is string {
  if (typeof url !== 'string' || url === '') {
    throw new TypeError(`page.navigate(url): url must be a non-empty string, got ${inspect(url)}`);
  }
  // Browsers read `\` as `/` and drop control characters and spaces at the ends of a URL.
  const cleaned = Array.from(url, (c) => (c <= ' ' ? '' : c === '\\' ? '/' : c)).join('');
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(cleaned) || cleaned.startsWith('//')) {
    throw new TypeError(
      `page.navigate('${url}'): only a URL of this site may be navigated to: a path ('/next', 'next'), ` +
        "a query ('?page=2') or a fragment ('#top'). Link to another site with an <a href> the person clicks.",
    );
  }
}

type ContentOp = 'update' | 'replace' | 'append' | 'prepend';

/** The `page` methods of DOM updates, for `makePageApi`. */
export function makeDomUpdates(page: PageState) {
  const content = (op: ContentOp) => (selector: string, value: unknown) => {
    const what = `page.${op}(selector, html)`;
    checkSelector(selector, what);
    add(page, { op, selector, html: markup(value) });
  };
  return {
    update: content('update'),
    replace: content('replace'),
    append: content('append'),
    prepend: content('prepend'),
    remove(selector: string) {
      checkSelector(selector, 'page.remove(selector)');
      add(page, { op: 'remove', selector });
    },
    navigate(url: string) {
      checkUrl(url);
      add(page, { op: 'navigate', url });
    },
    view(render: () => unknown): HtmlString {
      if (typeof render !== 'function') throw new TypeError('page.view(render) needs a function that returns html');
      const batch = batchOf(page);
      if (batch.views.length === MAX_VIEWS_PER_PAGE) {
        throw new RangeError(
          `page.view(render): this page has ${MAX_VIEWS_PER_PAGE} views, the most it may have. Each call adds ` +
            'a view that lives as long as the page and is rendered after every task: call page.view in the ' +
            "script's top-level code, once per view (not in a handler or a timer), and let its render read " +
            'your variables',
        );
      }
      const view: View = { id: `pwv-${page.id.slice(0, 8)}-${batch.views.length + 1}`, render, last: '' };
      view.last = viewHtml(render);
      batch.views.push(view);
      return new HtmlString(`<pw-view id="${view.id}">${view.last}</pw-view>`);
    },
  };
}

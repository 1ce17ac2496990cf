/**
 * Server-driven DOM updates: `page.update/replace/append/prepend/remove/navigate`. Each call checks
 * its arguments here, in the sandbox, so that a wrong one throws at the script's line; the
 * operations then wait in the page's batch, which goes out as one `pw:dom` push (the client
 * applies all of one push at once, client/dom-updates.ts):
 * - while an event handler runs (`holdDomUpdates`), when it returned or its promise settled, so
 *   that all the updates of one handled event land together, before the event counts as handled;
 * - otherwise (a timer, a channel delivery, the render), at the end of the turn (a microtask).
 * Any other push of the page (`server_socket_event`, `page.broadcast`) sends the batch first, so
 * that pushes and updates reach the browser in the order the script made them.
 */
import { parse } from 'css-what';
import { DOM_UPDATES_EVENT, type DomOp } from '../../../protocol/wire.js';
import { port } from './boot.js';
import { html } from './html.js';
import { inspect, isThenable } from './inspect.js';
import type { PageState } from './pages.js';

export interface DomBatch {
  ops: DomOp[];
  /** An event handler of the page is running: its updates go when it ends. */
  held: boolean;
  /** A flush is queued for the end of the turn. */
  queued: boolean;
}

const batches = new WeakMap<PageState, DomBatch>();

function batchOf(page: PageState): DomBatch {
  let batch = batches.get(page);
  if (!batch) {
    batch = { ops: [], held: false, queued: false };
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
 * Runs an event handler with the page's updates held until it ends (sync return, or its promise
 * settled, fulfilled or not): they go out as one push, before whatever marks the event handled.
 */
export function holdDomUpdates(page: PageState, task: () => unknown): unknown {
  const batch = batchOf(page);
  batch.held = true;
  const release = () => {
    batch.held = false;
    flushDomUpdates(page);
  };
  let result: unknown;
  try {
    result = task();
  } catch (error) {
    release();
    throw error;
  }
  if (!isThenable(result)) {
    release();
    return result;
  }
  return Promise.resolve(result).finally(release);
}

function add(page: PageState, op: DomOp): void {
  const batch = batchOf(page);
  batch.ops.push(op);
  if (batch.held || batch.queued) return;
  batch.queued = true;
  void Promise.resolve().then(() => {
    batch.queued = false;
    if (!batch.held) flushDomUpdates(page);
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
  };
}

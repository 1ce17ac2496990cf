/**
 * Applies a `pw:dom` push (the script's `page.update()` and the rest, runner/sandbox/prelude/
 * dom-updates.ts): its operations in order, all in one task, so the browser paints them together.
 *
 * `update` and `replace` morph the page with idiomorph rather than swap it: the nodes that stay
 * are kept (matched by id first, then by shape), so the field being typed in keeps its focus,
 * caret and value, scroll positions and running CSS transitions stay. An element marked
 * `pw-ignore` (or `data-pw-ignore`) and what it holds are the browser's own: never morphed,
 * removed or written into. Give it an id so that it is matched when what surrounds it changes.
 */
import { Idiomorph } from 'idiomorph';
import type { DomOp } from '../protocol/wire.js';
import type { ViewBases, ViewOp } from './view-updates.js';

const IGNORED = '[pw-ignore],[data-pw-ignore]';

const isIgnored = (node: Node): boolean => node instanceof Element && node.matches(IGNORED);

/**
 * A component's root (client/fragments.ts) that the new HTML still has: the component's instance
 * owns what it holds (it changed since the HTML around it rendered), so a morph of the page
 * around it keeps it as it is.
 */
const isSameComponent = (oldNode: Node, newNode: Node): boolean =>
  oldNode instanceof Element &&
  newNode instanceof Element &&
  oldNode.hasAttribute('data-pw-page') &&
  oldNode.getAttribute('data-pw-page') === newNode.getAttribute('data-pw-page');

const MORPH_CALLBACKS = {
  beforeNodeMorphed: (oldNode: Node, newNode: Node) => !isIgnored(oldNode) && !isSameComponent(oldNode, newNode),
  beforeNodeRemoved: (oldNode: Node) => !isIgnored(oldNode),
};

/**
 * `ignoreActiveValue`: the focused field's value is the person's, whatever the server's HTML says
 * (unless `keepActiveValue` is false: its form's submit is in flight, what it held was sent).
 */
// A promise only with `head: { block: true }`, which a fragment never has.
const morph = (target: Element, html: string, morphStyle: 'innerHTML' | 'outerHTML', keepActiveValue: boolean) =>
  void Idiomorph.morph(target, html, { morphStyle, ignoreActiveValue: keepActiveValue, callbacks: MORPH_CALLBACKS });

/** The targets of `selector`: every element it matches, but those the server may not touch. */
function targetsOf(op: DomOp & { selector: string }, dev: boolean): Element[] {
  let found: NodeListOf<Element>;
  try {
    found = document.querySelectorAll(op.selector);
  } catch (error) {
    // The prelude checked the syntax; a pseudo-class this browser does not know still fails here.
    if (dev) console.warn(`[pagewire] page.${op.op}('${op.selector}'): ${(error as Error).message}`);
    return [];
  }
  const targets = [...found].filter((element) => element.closest(IGNORED) === null);
  if (dev && targets.length === 0) {
    const why = found.length === 0 ? 'no element matches it' : 'every element it matches is inside pw-ignore';
    console.warn(`[pagewire] page.${op.op}('${op.selector}') changed nothing: ${why}`);
  }
  return targets;
}

function navigate(url: string, dev: boolean): void {
  const target = new URL(url, location.href);
  // The prelude refused other origins already: checked again, as the push is the only way in.
  if (target.origin !== location.origin) {
    if (dev) console.warn(`[pagewire] page.navigate('${url}') refused: not a URL of this site`);
    return;
  }
  location.assign(target.href);
}

/** A view's new inner HTML (the whole, or its edits applied to what the page last received) morphed into it. */
function applyView(op: ViewOp, views: ViewBases, dev: boolean, keepActiveValue: boolean): void {
  const html = views.next(op, dev);
  if (html === undefined) return;
  const view = document.getElementById(op.id);
  if (view && view.closest(IGNORED) === null) morph(view, html, 'innerHTML', keepActiveValue);
  // Its base is kept all the same: the view may come back into the page.
  else if (dev) console.warn(`[pagewire] view #${op.id} changed nothing: it is not in the page, or inside pw-ignore`);
}

function apply(op: DomOp, views: ViewBases, dev: boolean, keepActiveValue: boolean): void {
  if (op.op === 'navigate') return navigate(op.url, dev);
  if (op.op === 'view') return applyView(op, views, dev, keepActiveValue);
  for (const target of targetsOf(op, dev)) {
    switch (op.op) {
      case 'update':
        morph(target, op.html, 'innerHTML', keepActiveValue);
        break;
      case 'replace':
        morph(target, op.html, 'outerHTML', keepActiveValue);
        break;
      case 'append':
        target.insertAdjacentHTML('beforeend', op.html);
        break;
      case 'prepend':
        target.insertAdjacentHTML('afterbegin', op.html);
        break;
      case 'remove':
        target.remove();
        break;
    }
  }
}

/** Applies one push's operations in order; one that fails is reported and the rest still run. */
export function applyDomUpdates(ops: unknown, views: ViewBases, dev: boolean, keepActiveValue = true): void {
  if (!Array.isArray(ops)) return;
  for (const op of ops as DomOp[]) {
    try {
      apply(op, views, dev, keepActiveValue);
    } catch (error) {
      console.error('[pagewire] a DOM update failed:', error);
    }
  }
}

/**
 * Events from attributes: `pw-click`, `pw-submit`, `pw-change`, `pw-input`, `pw-keydown` (each
 * also as `data-pw-*`), with `pw-key`, `pw-debounce`, `pw-throttle`, `pw-value-<x>`,
 * `pw-confirm`. Listened for once on the document, so elements added later (an update, a
 * fragment) work as the first render's do. Each becomes an ordinary event of the page's socket,
 * numbered and kept until the server has it: the same delivery as `serverSocket.send`.
 */
import { elementData, formData, isField } from './form-fields.js';
import { BusyStates } from './busy-states.js';
import { MAX_COALESCING_KEY } from '../protocol/wire.js';
import type { ServerSocket } from './server-socket.js';

const TYPES = ['click', 'submit', 'change', 'input', 'keydown'] as const;
type DeclaredType = (typeof TYPES)[number];

/** `pw-key` names a key as `KeyboardEvent.key` does: one character, or one of these. */
const NAMED_KEYS = new Set([
  'Enter',
  'Escape',
  'Tab',
  'Backspace',
  'Delete',
  'Insert',
  'Home',
  'End',
  'PageUp',
  'PageDown',
  'ArrowUp',
  'ArrowDown',
  'ArrowLeft',
  'ArrowRight',
  'Space',
  ...Array.from({ length: 12 }, (_, i) => `F${i + 1}`),
]);

/** An attribute, written `pw-<name>` or `data-pw-<name>`. */
export function pwAttribute(el: Element, name: string): string | null {
  return el.getAttribute(`pw-${name}`) ?? el.getAttribute(`data-pw-${name}`);
}

/** A button that acts when clicked: `<button>`, or an `<input>` of type submit, reset or image. */
const isButton = (el: Element): boolean =>
  el instanceof HTMLButtonElement ||
  (el instanceof HTMLInputElement && (el.type === 'submit' || el.type === 'reset' || el.type === 'image'));

/** Pending debounced or throttled sends of one element and event type. */
interface Timing {
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The send waiting for the timer (the latest wins), if any. */
  pending: (() => void) | undefined;
}

export class DeclarativeEvents {
  /** The socket of the instance an element belongs to: its nearest live root's (client/fragments.ts). */
  readonly #socket: (holder: Element) => ServerSocket | undefined;
  readonly #dev: boolean;
  readonly #timings = new WeakMap<Element, Map<DeclaredType, Timing>>();
  /** Busy states of the document's own page; each other instance's in `busyOf` (numbers are per page). */
  readonly busy = new BusyStates();
  readonly #otherBusy = new WeakMap<ServerSocket, BusyStates>();
  #home: ServerSocket | undefined;

  constructor(doc: Document, socket: (holder: Element) => ServerSocket | undefined, dev: boolean) {
    this.#socket = socket;
    this.#dev = dev;
    for (const type of TYPES) doc.addEventListener(type, (event) => this.#handle(type, event));
  }

  #handle(type: DeclaredType, event: Event): void {
    const origin = event.target;
    if (!(origin instanceof Element)) return;
    const holder = origin.closest(`[pw-${type}],[data-pw-${type}]`);
    if (!holder) return;
    const name = pwAttribute(holder, type);
    // A form's own submit never navigates, whatever follows (a refused confirm, a closed page); nor
    // does a link or a button that raises a click (`<a href="#">`, a button inside a plain form).
    if (type === 'submit' || (type === 'click' && (holder instanceof HTMLAnchorElement || isButton(holder))))
      event.preventDefault();
    if (!name) return;
    if (type === 'keydown' && !this.#keyMatches(holder, event as KeyboardEvent)) return;
    const question = pwAttribute(holder, 'confirm');
    if (question !== null && !confirm(question)) return;
    // Read now: the field's value as it is at this event (a debounced send keeps the latest).
    const data = this.#data(type, holder, origin, event);
    // What the data is of: a field in a holder of fields (`<div pw-input>`) is one of its own, so
    // that its latest value replaces its own older one only, never another field's.
    const subject =
      (type === 'input' || type === 'change') && !(holder instanceof HTMLFormElement) && isField(origin)
        ? origin
        : holder;
    const send = () => this.#send(holder, subject, type, name, data);
    const debounce = this.#milliseconds(holder, 'debounce');
    const throttle = debounce === undefined ? this.#milliseconds(holder, 'throttle') : undefined;
    if (debounce === undefined && throttle === undefined) return send();
    const timing = this.#timing(subject, type);
    if (debounce !== undefined) {
      clearTimeout(timing.timer);
      timing.pending = send;
      timing.timer = setTimeout(() => this.#flush(timing), debounce);
      return;
    }
    // Throttled: the first goes now, the last of a window when it ends.
    if (timing.timer !== undefined) {
      timing.pending = send;
      return;
    }
    send();
    const tick = () => {
      timing.timer = undefined;
      if (!timing.pending) return;
      this.#flush(timing);
      timing.timer = setTimeout(tick, throttle);
    };
    timing.timer = setTimeout(tick, throttle);
  }

  #flush(timing: Timing): void {
    const pending = timing.pending;
    timing.pending = undefined;
    pending?.();
  }

  #timing(holder: Element, type: DeclaredType): Timing {
    const byType = this.#timings.get(holder) ?? new Map<DeclaredType, Timing>();
    this.#timings.set(holder, byType);
    const timing = byType.get(type) ?? { timer: undefined, pending: undefined };
    byType.set(type, timing);
    return timing;
  }

  #data(type: DeclaredType, holder: Element, origin: Element, event: Event): Record<string, unknown> {
    let data: Record<string, unknown>;
    if (holder instanceof HTMLFormElement) {
      data = formData(holder);
      const submitter = (event as SubmitEvent).submitter;
      const button = submitter instanceof HTMLButtonElement || submitter instanceof HTMLInputElement;
      if (type === 'submit' && button && submitter.name) {
        data[submitter.name] = submitter.value;
      }
    } else {
      // A container of fields (`<div pw-input>`) reports the field typed in.
      data = elementData(type === 'change' || type === 'input' ? origin : holder);
    }
    if (type === 'keydown') data.key = (event as KeyboardEvent).key;
    for (const { name, value } of holder.attributes) {
      const x = /^(?:data-)?pw-value-(.+)$/.exec(name)?.[1];
      if (x) data[x] = value;
    }
    return data;
  }

  #keyMatches(holder: Element, event: KeyboardEvent): boolean {
    const key = pwAttribute(holder, 'key');
    if (key === null) return true;
    if (key.length !== 1 && !NAMED_KEYS.has(key)) {
      this.#warn(holder, `pw-key="${key}" is not a key name (Enter, Escape, ArrowUp, a character...)`);
      return false;
    }
    return event.key === (key === 'Space' ? ' ' : key);
  }

  /** A `pw-debounce`/`pw-throttle` in ms; `undefined` when absent or not a number of ms. */
  #milliseconds(holder: Element, name: 'debounce' | 'throttle'): number | undefined {
    const text = pwAttribute(holder, name);
    if (text === null) return undefined;
    if (/^\d{1,7}$/.test(text.trim())) return Number(text);
    this.#warn(holder, `pw-${name}="${text}" is not a number of milliseconds: ignored`);
    return undefined;
  }

  #warn(holder: Element, message: string): void {
    if (!this.#dev) return;
    const name = holder.getAttribute('name');
    const id = `${holder.tagName.toLowerCase()}${holder.id ? `#${holder.id}` : ''}${name ? `[name="${name}"]` : ''}`;
    console.warn(`[pagewire] ${message}, on <${id}>:`, holder);
  }

  #send(holder: Element, subject: Element, type: DeclaredType, name: string, data: Record<string, unknown>): void {
    const socket = this.#socket(holder);
    if (!socket || socket.closed) {
      // A component's or fragment's whose instance ended: never sent to the page around it.
      if (holder.closest('[data-pw-page]'))
        this.#warn(holder, `pw-${type}="${name}": its instance has ended, not sent`);
      return;
    }
    let seq: number;
    try {
      seq = socket.sendEvent(
        name,
        data,
        type === 'input' || type === 'change' ? coalescingKey(type, subject, holder) : undefined,
      );
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      // Too large: nothing is sent, and the page hears why (its `error` listeners, the console).
      const message = `pw-${type}="${name}": ${(error as Error).message}`;
      console.error(`[pagewire] ${message}`);
      socket.emit('error', { t: 'error', p: socket.pageId, code: 'EVENT_TOO_LARGE', message });
      return;
    }
    this.busyOf(socket).start(holder, seq, type === 'submit');
  }

  /** The busy states of `socket`'s events: the document's own, or a component's or fragment's. */
  busyOf(socket: ServerSocket): BusyStates {
    if (socket === this.#home) return this.busy;
    const busy = this.#otherBusy.get(socket) ?? new BusyStates();
    this.#otherBusy.set(socket, busy);
    return busy;
  }

  /** @internal The document's own page, whose busy states are `busy`. */
  setHome(socket: ServerSocket): void {
    this.#home = socket;
  }
}

/**
 * Listens for the attributes on `doc` for `socket`'s page, and shows its state: busy elements
 * until the server's `done`, and `<html class="pw-disconnected">` while its socket is down (from
 * its first drop: a page still connecting is not shown as down).
 */
export function installDeclarativeEvents(doc: Document, socket: ServerSocket, dev: boolean): DeclarativeEvents {
  const events = new DeclarativeEvents(
    doc,
    (holder) => (socket.fragments ? socket.fragments.socketFor(holder) : socket),
    dev,
  );
  events.setHome(socket);
  socket.onDone = (seq) => events.busy.done(seq);
  socket.onServerUpdate = () => events.busy.serverUpdated();
  // The focused field of a form submitted with Enter: what it held was sent, the server's view says what it holds now.
  socket.keepsActiveValue = () => !events.busy.submitting(doc.activeElement);
  socket.addEventListener('closed', () => events.busy.clear());
  const root = doc.documentElement;
  socket.addEventListener('close', () => root.classList.add('pw-disconnected'));
  socket.addEventListener('open', () => root.classList.remove('pw-disconnected'));
  return events;
}

/**
 * "Latest wins" for one field's (or form's) input or change: a stable identity of the element
 * within its page, or none (no coalescing: strict order) when it has neither id nor name, or when
 * that identity is longer than the server accepts. Fields of one name (a row each, a group of
 * checkboxes) are told apart by their place among them and by their `pw-value-*`: one field's
 * value never replaces another's. A radio group is one field.
 */
function coalescingKey(type: DeclaredType, el: Element, holder: Element): string | undefined {
  let key: string;
  if (el.id) key = `${type}#${el.id}`;
  else {
    const name = el.getAttribute('name');
    if (!name) return undefined;
    const form = (el as HTMLInputElement).form;
    const formId = form ? form.id || form.getAttribute('name') || String([...document.forms].indexOf(form)) : '';
    const radio = el instanceof HTMLInputElement && el.type === 'radio';
    const place = radio ? -1 : [...document.getElementsByName(name)].indexOf(el as HTMLElement);
    const values = [...holder.attributes].filter((a) => /^(?:data-)?pw-value-/.test(a.name)).map((a) => a.value);
    key = `${type}:${JSON.stringify([formId, name, place, ...values])}`;
  }
  return key.length <= MAX_COALESCING_KEY ? key : undefined;
}

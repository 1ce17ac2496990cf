/**
 * A page a test opened (`open()` in index.ts): its response, its live DOM, and what a person does
 * to it. Each action goes through the page's own browser client, as in a browser: a click is a
 * DOM click, so the client's delegated `pw-*` listeners read the attributes and serialize the
 * fields (client/declarative-events.ts, client/form-fields.ts), and the pushes that answer it are
 * applied by the client (client/dom-updates.ts, idiomorph). An action resolves when the server said
 * `done` for every event it raised, and the script was handed the files of every upload it started
 * (client/uploads.ts) and ran its handlers of them: their updates are in the DOM.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Document, Element, HTMLFormElement, Window } from 'happy-dom';
import { type FieldValue, fillFields, refusedFields } from './fill-fields.js';
import type { PageFrames, Push } from './page-frames.js';
import type { PageClock } from './test-clock.js';
import type { LogLine, ScriptFailure, SitePage, TestSite } from './test-site.js';
import {
  choose,
  type FileLike,
  fileInput,
  type UploadFile,
  UploadError,
  type UploadOutcome,
  uploadsSettled,
  windowFiles,
} from './upload-files.js';

/** Thrown by the action that follows a script error nobody said to expect. */
export class UnexpectedScriptError extends Error {
  readonly failures: readonly ScriptFailure[];
  constructor(failures: readonly ScriptFailure[]) {
    const first = failures[0];
    super(
      `the script failed: ${first?.message ?? 'unknown error'}` +
        (failures.length > 1 ? ` (and ${failures.length - 1} more error(s): see page.errors)` : '') +
        '. A test that expects it opens the page with { expectErrors: true } and reads page.errors',
    );
    this.name = 'UnexpectedScriptError';
    this.failures = failures;
  }
}

export interface PageParts {
  site: TestSite;
  window: Window | undefined;
  frames: PageFrames | undefined;
  id: string | undefined;
  url: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  cookies: Record<string, string>;
  expectErrors: boolean;
  failures: ScriptFailure[];
}

export class TestPage implements SitePage {
  /** The page's id (`request`'s page), when it is a live page. */
  readonly id: string | undefined;
  /** The response: its status, headers and body as sent. */
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The cookies the page's browser holds (the session's among them): give them to `open` for the same session. */
  readonly cookies: Readonly<Record<string, string>>;
  /**
   * The script's errors in this page (its render, events, timers, close hooks), each with its
   * file:line, and the frames the server refused with; and errors thrown by the page's own scripts.
   */
  readonly errors: ScriptFailure[];
  readonly #site: TestSite;
  readonly #window: Window | undefined;
  readonly #frames: PageFrames | undefined;
  readonly #expectErrors: boolean;
  readonly #url: string;
  readonly #taken = new Map<string, number>();
  #reported = 0;
  #released = false;
  readonly #stopHearing: () => void;

  constructor(parts: PageParts) {
    this.#site = parts.site;
    this.#window = parts.window;
    this.#frames = parts.frames;
    this.#expectErrors = parts.expectErrors;
    this.#url = parts.url;
    this.id = parts.id;
    this.status = parts.status;
    this.headers = parts.headers;
    this.body = parts.body;
    this.cookies = parts.cookies;
    this.errors = parts.failures;
    this.#stopHearing = this.#site.onFailure((failure) => {
      if (failure.pageId === undefined || this.#holds(failure.pageId)) this.errors.push(failure);
    });
    if (this.#frames) this.#frames.onErrorFrame = (frame) => this.errors.push({ ...frame, pageId: this.id });
    this.#site.pages.add(this);
    this.#site.use();
  }

  /**
   * The page's address: the one opened, or where the page went since (`page.navigate(url)` from
   * the script, a followed link). Nothing is loaded there: open it to test it.
   */
  get url(): string {
    return this.#window?.location.href ?? this.#url;
  }

  /** What the instance logged about this page: its script's `console.log` and the rest. */
  get logs(): readonly LogLine[] {
    return this.#site.logs.filter((line) => line.pageId !== undefined && this.#holds(line.pageId));
  }

  /** Whether `pageId` is this page's instance, or one on its socket (a component, a fragment...). */
  #holds(pageId: string): boolean {
    return pageId === this.id || this.#frames?.instances.has(pageId) === true;
  }

  /** The page's HTML as its DOM is now (the response's, changed by every update since). */
  get html(): string {
    const doc = this.#window?.document;
    if (!doc) return this.body;
    const doctype = doc.doctype ? `<!DOCTYPE ${doc.doctype.name}>` : '';
    return `${doctype}${doc.documentElement.outerHTML}`;
  }

  /** The page's DOM (happy-dom), for what `$` and `$$` do not say. */
  get document(): Document {
    if (!this.#window) throw new Error(`this page is not HTML (content-type ${this.headers['content-type']})`);
    return this.#window.document;
  }

  get window(): Window {
    this.document;
    return this.#window as Window;
  }

  $(selector: string): Element | null {
    return this.document.querySelector(selector);
  }

  $$(selector: string): Element[] {
    return [...this.document.querySelectorAll(selector)];
  }

  /** What the script sent the page with `server_socket_event(name, data)`, in order. */
  get pushes(): readonly Push[] {
    return this.#frames?.pushes ?? [];
  }

  /** `true` once the page's instance ended (its close hooks ran and what it owned was closed). */
  get closed(): boolean {
    return this.#frames?.closedReason !== undefined || this.#released;
  }

  /** The scripts' clock, shared by the pages open on the same folder. */
  get clock(): PageClock {
    return {
      now: () => this.#site.clock.now(),
      tick: async (ms: number) => {
        this.#check();
        await this.#site.tick(ms);
        this.#check();
      },
    };
  }

  /** Clicks the element: its `pw-click`, a form's submit button, its page script's `onclick`... */
  async click(selector: string): Promise<void> {
    const el = this.#live('click', selector);
    await this.#raise(el, 'click', () => (el as unknown as { click(): void }).click());
  }

  /**
   * Fills the form's `fields` (by name) and submits it with its submit button, as pressing Enter
   * would. `selector` names the form or an element inside it.
   */
  async submit(selector: string, fields: Readonly<Record<string, FieldValue>> = {}): Promise<void> {
    const el = this.#live('submit', selector);
    const form = (el.tagName === 'FORM' ? el : el.closest('form')) as HTMLFormElement | null;
    if (!form) throw new Error(`submit('${selector}'): the element is not a form, nor inside one`);
    fillFields(form, fields);
    const button = form.querySelector('button:not([type]),button[type="submit"],input[type="submit"]');
    const invalid = refusedFields(form, button);
    if (invalid.length > 0) {
      throw new Error(`submit('${selector}'): a browser would not submit this form (${invalid.join('; ')})`);
    }
    await this.#raise(form, 'submit', () => form.requestSubmit(button as never));
  }

  /** Types `value` into the field (focused, as a person's typing is): its `input` event. */
  async input(selector: string, value: string): Promise<void> {
    return this.#type('input', selector, value);
  }

  /** Sets the field's value and raises its `change` event (a select chosen, a field left). */
  async change(selector: string, value: string): Promise<void> {
    return this.#type('change', selector, value);
  }

  /** Presses `key` (as `KeyboardEvent.key` names it) in the element: its `keydown` event. */
  async press(selector: string, key: string): Promise<void> {
    const el = this.#live('press', selector);
    const window = this.window;
    await this.#raise(el, 'keydown', () =>
      el.dispatchEvent(new window.KeyboardEvent('keydown', { key, bubbles: true, cancelable: true })),
    );
  }

  /** `document.serverSocket.send(name, data)`: the low level, waited for as the others. */
  async send(name: string, data?: unknown): Promise<void> {
    const doc = this.#live('send').document as unknown as {
      serverSocket: { send(name: string, data?: unknown): void };
    };
    const socket = doc.serverSocket;
    await this.#raise(undefined, 'send', () => socket.send(name, data));
  }

  /**
   * Chooses `files` in the `<input type="file">`, as a person does in its file picker: the page's
   * client uploads them (its `pw-upload`, or the page's own script) to the server, which checks,
   * hashes and writes them and hands them to the script. Resolves once the script was handed every
   * file and its handlers' updates are in the DOM. Rejects with an `UploadError` (its `code`, and
   * the server's message, which the element's `pw-upload-error` shows too) when the server refused
   * the upload or it failed: the script's `onError` ran first.
   */
  async upload(selector: string, files: readonly (UploadFile | FileLike)[]): Promise<void> {
    const input = fileInput(this.#live('upload', selector), selector, files.length);
    const window = this.window;
    const chosen = await windowFiles(window, files);
    const uploads = await this.#raise(input as unknown as Element, 'change', () => choose(window, input, chosen));
    if (uploads.length === 0 && !this.closed) {
      throw new Error(
        `upload('${selector}'): choosing files there started no upload (the input has no pw-upload, ` +
          "and the page's own scripts called no serverSocket.upload)",
      );
    }
    const refused = uploads.find((upload) => upload.refusal);
    if (refused?.refusal) {
      const { code, message } = refused.refusal;
      throw new UploadError(`upload('${selector}')`, refused.name, code, message);
    }
  }

  /**
   * The data of the next push named `name` (the first not yet returned by `next(name)`), waiting
   * for it when it has not come yet. Rejects if the page closes first.
   */
  async next(name: string): Promise<unknown> {
    this.#check();
    const frames = this.#frames;
    if (!frames) throw new Error(`next('${name}'): this page is not live: no script instance can push to it`);
    const found = await frames.push(name, this.#taken.get(name) ?? 0);
    if (!found) throw new Error(`next('${name}'): the page closed (${frames.closedReason}) before such a push came`);
    this.#taken.set(name, found.index + 1);
    this.#check();
    return found.push.data;
  }

  /**
   * Waits until `condition` holds: an element matches the selector (resolves with it), or the
   * function returns true. Checked now, then after each frame the page receives: for what the
   * server sends this page because of another page (a channel, a broadcast, the shared store).
   * Rejects when the page closes first, or after `timeout` ms (30 s by default) saying what it
   * waited for: a missed update fails the test rather than hanging it.
   */
  async waitFor(condition: string | (() => boolean), options: { timeout?: number } = {}): Promise<Element | undefined> {
    this.#check();
    const frames = this.#live('waitFor').#frames as PageFrames;
    const what = typeof condition === 'string' ? `an element matching '${condition}'` : `${condition}`;
    const met = (): Element | true | undefined =>
      typeof condition === 'string' ? (this.$(condition) ?? undefined) : condition() ? true : undefined;
    const timeout = options.timeout ?? 30_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`waitFor(): no ${what} within ${timeout} ms`)), timeout);
    });
    try {
      for (;;) {
        const found = met();
        if (found !== undefined) return found === true ? undefined : found;
        if (frames.closedReason) throw new Error(`waitFor(): the page closed (${frames.closedReason}) first`);
        await Promise.race([frames.received(), late]);
        this.#check();
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Ends the page as a tab closed for good does: its instance's close hooks run and what it owned
   * is closed, then `closed` is `true`. Rejects if a script error was not expected.
   */
  async close(): Promise<void> {
    if (this.#released) return;
    const frames = this.#frames;
    if (frames && this.id && !frames.closedReason) {
      frames.leave();
      await frames.closed();
    }
    await this.#release();
    this.#check();
  }

  /** @internal The site's tick waits for this: what the server sent until now is handled. */
  async settle(): Promise<void> {
    await this.#frames?.roundTrip();
  }

  async #release(): Promise<void> {
    this.#released = true;
    this.#frames?.end();
    this.#stopHearing();
    this.#site.pages.delete(this);
    if (this.#window) {
      await this.#window.happyDOM.abort();
      this.#window.close();
    }
    await this.#site.release();
  }

  async #type(type: 'input' | 'change', selector: string, value: string): Promise<void> {
    const el = this.#live(type, selector) as unknown as Element & { value: string; focus(): void };
    const window = this.window;
    await this.#raise(el, type, () => {
      el.focus();
      el.value = value;
      el.dispatchEvent(new window.Event(type, { bubbles: true }));
    });
  }

  /** The page, checked usable for `action`; the element `selector` names, if one. */
  #live(action: string, selector: string): Element;
  #live(action: string): TestPage;
  #live(action: string, selector?: string): Element | TestPage {
    this.#check();
    if (this.closed) throw new Error(`${action}(): the page is closed (${this.#frames?.closedReason ?? 'closed'})`);
    if (!this.#frames) throw new Error(`${action}(): this page is not live: its script has no __serverSocketEvent`);
    if (selector === undefined) return this;
    const el = this.document.querySelector(selector);
    if (!el) throw new Error(`${action}('${selector}'): no element matches it`);
    return el;
  }

  /**
   * Does `act`, then waits for the `done` of every event it raised (a debounced one's too), and for
   * the uploads it started: how they ended, which only `upload` makes its own failure.
   */
  async #raise(el: Element | undefined, type: string, act: () => void): Promise<UploadOutcome[]> {
    const frames = this.#frames as PageFrames;
    const before = frames.sentEvents.length;
    const uploadsBefore = frames.sentUploads.length;
    act();
    const started = frames.sentUploads.slice(uploadsBefore);
    let raised = frames.sentEvents.slice(before);
    if (raised.length === 0 && el && isTimed(el, type)) {
      const next = await frames.nextSent();
      raised = next === undefined ? [] : [next];
    }
    for (const seq of raised) await frames.done(seq);
    const uploads = await uploadsSettled(this.document, frames, started);
    this.#check();
    return uploads;
  }

  /** @internal `open` rejects when the render failed unexpectedly. */
  assertExpected(): void {
    this.#check();
  }

  /** Throws the script errors no one has seen yet, unless errors are expected. */
  #check(): void {
    const fresh = this.errors.slice(this.#reported);
    this.#reported = this.errors.length;
    if (fresh.length > 0 && !this.#expectErrors) throw new UnexpectedScriptError(fresh);
  }
}

/** A `pw-debounce`/`pw-throttle` holder: its event may leave later than the DOM event. */
function isTimed(el: Element, type: string): boolean {
  const holder = el.closest(`[pw-${type}],[data-pw-${type}]`);
  return (
    holder !== null &&
    ['pw-debounce', 'data-pw-debounce', 'pw-throttle', 'data-pw-throttle'].some((name) => holder.hasAttribute(name))
  );
}

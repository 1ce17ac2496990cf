/**
 * The globals a Pagewire server script sees, exactly: `tsc` accepts what a script's sandbox has
 * and refuses what it lacks (test/script-globals.test.ts compares this file with a real sandbox).
 * Reference it from the scripts folder's tsconfig.json (`"types": ["pagewire/script-globals"]`,
 * or a path to it), with `"lib": ["es2023"]` and no DOM.
 *
 * Node's own globals come from Node's types, which this file references: a script's sandbox has
 * every global they declare, as Node 20 has them (URL, fetch, TextEncoder, structuredClone,
 * crypto, Blob, streams, timers, process, Buffer...). Node's types are in every program that
 * imports a package whose types use Node's (pg, express...): they cannot be left out, so the
 * sandbox provides what they declare rather than less. Declared by them but refused with an
 * error that says what to use instead: `BroadcastChannel`, and `WebSocket` and `EventSource`,
 * which Node 20 does not have.
 */
/// <reference types="node" />

/** A piece of HTML that `html` will not escape again: made by `html` or `raw()`. */
interface PagewireHtml {
  readonly value: string;
  toString(): string;
}

/** Appends to the response body, as is (like PHP's echo). `html` values are written as HTML. */
declare function echo(...parts: unknown[]): void;

/** JSON made by `json()`, safe to write into a `<script>`, a `<style>` or an event-handler attribute. */
interface PagewireJson {
  readonly value: string;
  toString(): string;
}

/**
 * HTML template tag: each interpolation is escaped for where it lands (text, a quoted attribute,
 * a URL attribute whose scheme is checked, `srcdoc`), and refused where no escaping makes a value
 * safe (an unquoted attribute, a tag or attribute name, `<script>`, `<style>` and `on*` attributes
 * without `json()`). `html` values are written as HTML in text, as text in attributes. Arrays are
 * joined; `null`, `undefined` and `false` write nothing. See the README's "The `html` tag's contexts".
 */
declare function html(strings: TemplateStringsArray, ...values: unknown[]): PagewireHtml;

/** Marks text as HTML that must not be escaped, nor its URL checked. Only for text you trust. */
declare function raw(text: unknown): PagewireHtml;

/**
 * `value` as JSON that cannot end a `<script>`, a `<style>`, an attribute or a string in them
 * (`<`, `>`, `&`, `'`, `` ` ``, `$`, `/`, U+2028 and U+2029 escaped): what `html` accepts in script.
 * `undefined` is written `null`.
 */
declare function json(value: unknown): PagewireJson;

/**
 * What the app's `context` option made of the request (`pagewire({ context: (req) => ({ user:
 * req.user }) })`); `{}` without it. Empty here: the app says what it holds by declaration
 * merging, in any .ts file of its scripts folder:
 * `declare global { interface PagewireContext { user?: { id: string; name: string } } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: the app fills it in by declaration merging.
interface PagewireContext {}

/** The HTTP request that rendered this page. */
declare const request: {
  readonly method: string;
  /** The URL below the mount path (`baseUrl`), with the query: `baseUrl + url` is what the browser asked for. */
  readonly url: string;
  /** The decoded path below the mount path, without the query. */
  readonly path: string;
  /** Where the app mounted Pagewire (`'/app'` for `app.use('/app', wire)`), or `''`: links to other pages. */
  readonly baseUrl: string;
  /** Without a prototype, and without `__proto__`, `constructor` or `prototype` keys (as `body`'s objects). */
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  /** Values of `[name]` segments of the script's route. */
  readonly params: Readonly<Record<string, string | undefined>>;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly cookies: Readonly<Record<string, string | undefined>>;
  /**
   * A JSON body parsed, form fields, the text of another body, or undefined. Its objects have no
   * prototype (use `Object.hasOwn`), and no `__proto__`, `constructor` or `prototype` key.
   */
  readonly body: unknown;
  /**
   * A `multipart/form-data` POST's files, by field name (a field that names several files holds
   * them in order); `{}` for any other request. Each is a temporary file, deleted once the request
   * is answered: move it (`fs.renameSync(file.path, dest)`, `dest` in `dataDir`) to keep it.
   */
  readonly files: Readonly<Record<string, readonly UploadedFile[] | undefined>>;
  /** What the app's `context` option returned for this request, cloned (Dates and Maps kept). */
  readonly context: PagewireContext;
  /**
   * With the `csp` option: this render's Content-Security-Policy nonce. A page's own scripts run
   * only with it: `<script nonce="${request.nonce}">`. Otherwise undefined.
   */
  readonly nonce?: string;
  /** In a component (`include(path, props)`): its `props`, as JSON data; otherwise undefined. */
  readonly props?: unknown;
};

/** The response, usable until the page is sent (the end of the top-level code). */
declare const response: {
  status: number;
  readonly headers: Record<string, string | string[]>;
  setHeader(name: string, value: string | number | string[]): void;
  redirect(location: string, status?: number): void;
};

/** Pushes an event to this page. Data must be JSON-serializable. False once the page is closed. */
declare function server_socket_event(name: string, data?: unknown): boolean;

/** This page's instance of the script. */
declare const page: {
  /** 128 random bits, URL-safe. */
  readonly id: string;
  /**
   * The node id of the process serving this page (the `node` option; with several processes, one
   * each), which its socket path carries. `process.pid` is that process's pid.
   */
  readonly node: string;
  /**
   * Runs `fn` once when the page dies (closed tab, page.close(), timeout, shutdown), before owned
   * resources close: an async hook may still use them, and may `await fetch(...)`. Throws on a
   * page already closed (it may have closed during an `await`).
   */
  onClose(fn: () => unknown): void;
  /**
   * Closes `resource` when the page dies, once every close hook settled, last owned first: a
   * function, or an object with `close()`, `destroy()`, `dispose()`, `Symbol.asyncDispose`,
   * `Symbol.dispose` or `end()` (the first it has; `end()` is pg's `Client`). Returns it. On a
   * page already closed (it closed during an `await`), closes `resource` now and throws: own a
   * resource before awaiting its setup.
   */
  own<T>(resource: T): T;
  /** Ends this page now: close hooks run, timers stop, owned resources close. */
  close(): void;
  /**
   * How long this page waits for its browser after the socket drops (default: the server's
   * disconnectTimeout option).
   */
  setDisconnectGrace(ms: number): void;
  /** Pushes an event to every live page of this script. */
  broadcast(name: string, data?: unknown): void;
  /** Publish/subscribe between pages of any script; subscriptions end when the page dies. */
  channel(name: string): {
    publish(data?: unknown): void;
    subscribe(fn: (data: unknown) => unknown): () => void;
  };
  /**
   * Sets the inner HTML of every element `selector` matches in the browser, morphed (idiomorph):
   * the field being typed in keeps its focus, caret and value; scroll positions stay; an element
   * with `pw-ignore` and what it holds are never touched. `html` is written as a render writes it:
   * an `html` value as markup, anything else (a string, a number) as escaped text; `null`,
   * `undefined` and `false` as nothing. A selector that is not valid CSS throws a SyntaxError
   * here; one that matches nothing is warned of in the browser's console in dev, ignored in
   * production. The updates made while one event is handled go to the browser as one push when
   * the handler returns (or its promise settles), applied at once; elsewhere (a timer, a channel
   * delivery), those of one turn. A push the script makes (`server_socket_event`) sends the
   * updates made before it first: the browser sees both in the order they were made.
   */
  update(selector: string, html: unknown): void;
  /** Replaces every element `selector` matches (outer HTML), morphed; as {@link update}. */
  replace(selector: string, html: unknown): void;
  /** Adds `html` at the end of every element `selector` matches (not morphed: new nodes); as {@link update}. */
  append(selector: string, html: unknown): void;
  /** Adds `html` at the start of every element `selector` matches; as {@link append}. */
  prepend(selector: string, html: unknown): void;
  /** Removes every element `selector` matches (one with `pw-ignore`, or inside one, stays); as {@link update}. */
  remove(selector: string): void;
  /**
   * Sends the browser to `url`, after the updates before it: a URL of this site only, a path
   * (`'/next'`, `'next'`), a query (`'?page=2'`) or a fragment (`'#top'`). A URL with a scheme
   * (`https:`, `javascript:`) or `//host` throws a TypeError; the browser checks the origin again.
   */
  navigate(url: string): void;
  /**
   * A part of the page that follows the script's state, as in a desktop application: returns
   * `render()`'s HTML, wrapped in a `<pw-view id="pwv-...">` element (echo it, or put it in a
   * larger `html` template), and calls `render` again after every task of the page: each event
   * handled (once its promise settles), channel delivery and timer callback. When the HTML
   * changed, the browser morphs the view into it (as {@link update}: focus, caret and `pw-ignore`
   * kept), in the same push as that task's other updates; only the changes go when they are
   * smaller than the view (see the README's `page.view`). `render` must return its `html` at
   * once (not a promise): load data in the handler, keep it in a variable, let `render` read it.
   * A throw in `render` is reported as the task's error; the view keeps what it showed.
   */
  view(render: () => PagewireHtml | string | number | null | undefined): PagewireHtml;
  /**
   * Takes live uploads of `name` (`<input type="file" pw-upload="name">`, or
   * `document.serverSocket.upload(name, files)`), within these limits, checked before any byte is
   * sent: `maxFileSize` (bytes) and `maxFiles` (per upload; at most the server's `maxUploadFileBytes` and
   * `maxUploadFiles`), `accept` as the HTML attribute (`['image/*', '.pdf']`; an image's bytes
   * must match its type). Each handler runs as a task of the page (its view follows): `onProgress`
   * at each 5% of a file, `onFile` with the file complete (a temporary file of the page, deleted
   * when the page dies unless moved: `fs.renameSync(file.path, dest)`), `onError` when an upload
   * is refused or fails (`code`: UPLOAD_REFUSED, UPLOAD_FAILED, UPLOAD_CANCELLED by the browser).
   */
  allowUpload(
    name: string,
    options?: {
      maxFileSize?: number;
      maxFiles?: number;
      accept?: readonly string[];
      onProgress?: (progress: { name: string; file: string; bytes: number; total: number }) => unknown;
      onFile?: (file: UploadedFile) => unknown;
      onError?: (error: { name: string; file?: string; code: string; message: string }) => unknown;
    },
  ): void;
};

/** A file a browser uploaded: a temporary file under `dataDir`, deleted unless the script moves it. */
interface UploadedFile {
  /** The browser's name, made safe: no folder, no control character, at most 200 bytes. */
  readonly name: string;
  readonly size: number;
  /** The type the browser claimed; an image's was checked against its bytes. */
  readonly type: string;
  /** SHA-256 of the bytes (hex), computed by the server as they arrived. */
  readonly sha256: string;
  /** Absolute, inside `dataDir`: read it with `fs`, keep it with `fs.renameSync(file.path, dest)`. */
  readonly path: string;
}

/**
 * State every page of the site shares, whatever the mode (`workers: 0`, N worker threads, N
 * processes), unlike a partial's module-level variables (one copy per thread). Every call is
 * async and atomic, and means what Redis's command means. Values are JSON data: anything else
 * (undefined, a function, a Date, a Map, a class instance, NaN, a cycle) is refused with a
 * TypeError that names where it sits. A failure rejects with an Error whose `code` says why
 * (`SHARED_WRONG_TYPE`, `SHARED_NOT_INTEGER`, `SHARED_KEY_TOO_LARGE`, `SHARED_VALUE_TOO_LARGE`,
 * `SHARED_STORE_FULL`, `SHARED_QUEUE_FULL`, `SHARED_PAGE_CLOSED`, ...). Sizes: the options `maxSharedKeyBytes`,
 * `maxSharedValueBytes`, `maxSharedBytes`.
 */
declare const shared: {
  /** The value, or `undefined` when the key is missing or expired (GET). A list: SHARED_WRONG_TYPE. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /**
   * Sets the value (SET). `ttl`: milliseconds until the key expires; without it, a TTL the key
   * had is cleared, as Redis SET does.
   */
  set(key: string, value: unknown, options?: { ttl?: number }): Promise<void>;
  /** Deletes the key (a value or a list); whether it existed (DEL). */
  delete(key: string): Promise<boolean>;
  /**
   * Adds `by` (a whole number, default 1; 0 for a missing key) atomically and returns the new
   * value (INCRBY). The key must hold an integer; its TTL is kept.
   */
  incr(key: string, by?: number): Promise<number>;
  /**
   * Appends `value` to the list at `key` atomically, keeping only its last `max` items; returns
   * the list's length after that (RPUSH, LTRIM, and PEXPIRE with `ttl`: else its TTL is kept).
   */
  push(key: string, value: unknown, options?: { max?: number; ttl?: number }): Promise<number>;
  /**
   * Items `start` to `end` of the list, `end` included; negative indexes count from the end, so
   * `list(key, 0, -1)` is the whole list and `list(key, -10, -1)` its last ten (LRANGE). A missing
   * key is `[]`.
   */
  list<T = unknown>(key: string, start?: number, end?: number): Promise<T[]>;
};

/**
 * Renders the script of `path` (`'/widget?x=1'`) as a live component of this page: an instance of
 * its own (its state, `__serverSocketEvent`, timers, close hooks), owned by this page and ended
 * with it, whose `pw-*` events go to it, not to this page. `props` (JSON data) is its
 * `request.props`; it also sees this page's `request.context`. Resolves to its HTML, in its root
 * element `<pw-component>`, as an `html` value: `echo(await include('/clock'))`. A path that is no
 * script (missing, static, private) or an include of a script already in the chain (`a` includes
 * `b` includes `a`), or deeper than 8, rejects at this line. Each include is a page: it counts
 * against `maxPagesPerSession` and `maxPages`.
 */
declare function include(path: string, props?: unknown): Promise<PagewireHtml>;

/**
 * The hook a live page's script defines: called with each event the page sends with
 * `document.serverSocket.send(name, data)`, one at a time, in order.
 */
declare function __serverSocketEvent(name: string, event: unknown): unknown;

/** vm2's error class (the sandbox that runs scripts): errors of the sandbox itself. */
declare class VMError extends Error {
  constructor(message: string, code?: string);
  readonly code?: string;
}

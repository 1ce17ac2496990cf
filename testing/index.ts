/**
 * `pagewire/testing`: a script tested as its pages are used, with no browser and no server.
 *
 * @example
 * import { open } from 'pagewire/testing';
 * const page = await open('scripts', '/counter');
 * await page.click('#increment');
 * assert.equal(page.$('#count')?.textContent, '1');
 * await page.close();
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Window } from 'happy-dom';
import { PageFrames } from './page-frames.js';
import { pageWindow } from './page-window.js';
import { TestPage } from './test-page.js';
import { type ScriptFailure, type SiteOptions, TEST_ORIGIN, TestSite } from './test-site.js';

export { type TestPage, UnexpectedScriptError } from './test-page.js';
export { type FileLike, type UploadFile, UploadError } from './upload-files.js';
export type { FieldValue } from './fill-fields.js';
export type { Push } from './page-frames.js';
export type { PageClock } from './test-clock.js';
export type { LogLine, ScriptFailure, SiteOptions } from './test-site.js';

export interface OpenOptions {
  /** `GET` by default, `POST` when there is a `body`. */
  method?: string;
  /**
   * The request's body: form fields (sent as a form posts them), or a string or bytes sent as
   * they are (say their `content-type` in `headers`).
   */
  body?: Readonly<Record<string, string | readonly string[]>> | string | Uint8Array;
  headers?: Readonly<Record<string, string>>;
  /** Cookies the browser sends: another page's `page.cookies` opens this one in its session. */
  cookies?: Readonly<Record<string, string>>;
  /** What the app's `context` option would give this request (`request.context`). */
  context?: object;
  /**
   * The test expects the script to fail: its errors are only in `page.errors`. Otherwise the
   * first action after a script error (or `open` itself, or `close`) rejects with it.
   */
  expectErrors?: boolean;
  /**
   * Options of the Pagewire instance (`env`, limits...). The pages open on one folder share one
   * instance (its `shared` store, channels and clock), made by the first of them with its options.
   */
  options?: SiteOptions;
}

/**
 * Renders `url` of the scripts folder `dir` as Pagewire serves it (the same sandbox, globals,
 * partials and packages), in a page that runs its scripts and Pagewire's browser client; a live
 * page is joined to its script instance before this resolves. Close it with `page.close()`.
 */
export async function open(dir: string, url: string, options: OpenOptions = {}): Promise<TestPage> {
  const site = TestSite.of(dir, options.options);
  site.use();
  try {
    return await openOn(site, url, options);
  } finally {
    await site.release();
  }
}

async function openOn(site: TestSite, url: string, options: OpenOptions): Promise<TestPage> {
  const cookies: Record<string, string> = { ...options.cookies };
  const cookieHeader = () =>
    Object.entries(cookies)
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  const { body, contentType } = requestBody(options.body);
  const headers: Record<string, string> = {
    ...(contentType ? { 'content-type': contentType } : {}),
    ...options.headers,
  };
  if (Object.keys(cookies).length > 0) headers.cookie = cookieHeader();
  const renderFailures: ScriptFailure[] = [];
  const stopHearing = site.onFailure((failure) => {
    const other = [...site.pages].some((page) => page.id !== undefined && page.id === failure.pageId);
    if (!other) renderFailures.push(failure);
  });
  let exchange: Awaited<ReturnType<TestSite['request']>>;
  try {
    exchange = await site.request(url, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      context: options.context,
    });
  } finally {
    stopHearing();
  }
  for (const line of setCookies(exchange.headers)) {
    const [name, value] = line.split(';', 1)[0]?.split(/=(.*)/s) ?? [];
    if (name) cookies[name.trim()] = value ?? '';
  }
  const isHtml = /^text\/html\b/i.test(String(exchange.headers['content-type'] ?? ''));
  const pageId = isHtml ? /data-pagewire-page="([^"]+)"/.exec(exchange.body)?.[1] : undefined;
  const frames = pageId ? new PageFrames(pageId) : undefined;
  const window = isHtml ? pageWindow(site, url, cookieHeader, options.context) : undefined;
  if (window) {
    // The page's own scripts failing: as a script error, the test hears of it.
    window.addEventListener('error', (event) => {
      const error = (event as unknown as { error?: Error }).error;
      renderFailures.push({
        code: 'PAGE_SCRIPT_ERROR',
        message: `a script of the page threw: ${error?.stack ?? error}`,
      });
    });
    if (frames) {
      const webSocket = frames.webSocketClass(() => site.connect(options.context), cookieHeader(), TEST_ORIGIN);
      Object.defineProperty(window, 'WebSocket', { value: webSocket, configurable: true, writable: true });
    }
    // `pw-confirm`: the person answers OK.
    Object.defineProperty(window, 'confirm', { value: () => true, configurable: true, writable: true });
    window.document.write(exchange.body);
    clientTagInHead(window.document);
  }
  const page = new TestPage({
    site,
    window,
    frames,
    id: pageId,
    url: new URL(url, TEST_ORIGIN).href,
    status: exchange.status,
    headers: exchange.headers,
    body: exchange.body,
    cookies,
    expectErrors: options.expectErrors === true,
    failures: renderFailures,
  });
  try {
    if (frames) {
      await joined(frames, url);
      // The pushes sent while it rendered come right after its join.
      await frames.roundTrip();
    }
    page.assertExpected();
  } catch (error) {
    await page.close().catch(() => {});
    throw error;
  }
  return page;
}

/** The page's socket joined its instance (or the page ended): within 30 s, or a clear failure. */
async function joined(frames: PageFrames, url: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const said = frames.errors.map((error) => `${error.code}: ${error.message}`).join('; ');
      reject(
        new Error(`open('${url}'): the page's socket did not join its script instance${said ? ` (${said})` : ''}`),
      );
    }, 30_000);
  });
  try {
    await Promise.race([frames.joinedOrClosed(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The client's tag comes first in a live page, before `<!doctype>` and `<html>`: a browser's parser
 * opens the head for it (HTML's "before head" insertion mode), happy-dom's leaves it in the body.
 * Put where a browser has it, so that `page.html` is the browser's DOM.
 */
function clientTagInHead(document: Window['document']): void {
  const tag = document.querySelector('script[data-pagewire-page]');
  if (tag && tag.parentElement === document.body && document.head) document.head.prepend(tag);
}

function requestBody(body: OpenOptions['body']): { body: string | Buffer | undefined; contentType?: string } {
  if (body === undefined) return { body: undefined };
  if (typeof body === 'string') return { body, contentType: 'text/plain; charset=utf-8' };
  if (body instanceof Uint8Array) return { body: Buffer.from(body), contentType: 'application/octet-stream' };
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    for (const one of typeof value === 'string' ? [value] : value) form.append(name, one);
  }
  return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
}

function setCookies(headers: IncomingHttpHeaders): string[] {
  const value = headers['set-cookie'];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

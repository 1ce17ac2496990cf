/**
 * The window a test's page lives in: happy-dom, running the page as a browser would, the page's
 * own scripts and Pagewire's browser client (the very bundle the server serves) included. Its
 * requests go to the test's site: `client.js` is read from the built bundle (a classic script loads
 * synchronously, so it is answered synchronously); everything else (a page's `fetch`, the client's
 * status checks) is an HTTP exchange with the site, in memory.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Window } from 'happy-dom';
import { clientScript } from '../lib/http/client-script.js';
import { CLIENT_PATH } from '../lib/http/request-handler.js';
import { TEST_ORIGIN, type TestSite } from './test-site.js';

export function pageWindow(site: TestSite, url: string, cookie: () => string, context: object | undefined): Window {
  const window: Window = new Window({
    url: new URL(url, TEST_ORIGIN).href,
    settings: {
      enableJavaScriptEvaluation: true,
      // The page's scripts are the test author's own site, as in their browser.
      suppressInsecureJavaScriptEnvironmentWarning: true,
      // A page.navigate(url), a followed link, a reload: the URL changes (page.url), nothing loads:
      // the test opens the next page itself, with open().
      navigation: { disableMainFrameNavigation: true },
      fetch: {
        interceptor: {
          beforeSyncRequest: ({ request }) => {
            if (!new URL(request.url).pathname.endsWith(CLIENT_PATH)) return undefined;
            return {
              status: 200,
              statusText: 'OK',
              ok: true,
              url: request.url,
              redirected: false,
              headers: new window.Headers({ 'content-type': 'text/javascript; charset=utf-8' }),
              body: Buffer.from(clientScript().body),
            };
          },
          beforeAsyncRequest: async ({ request }) => {
            if (new URL(request.url).origin !== TEST_ORIGIN) return undefined;
            const headers: Record<string, string> = { cookie: cookie() };
            request.headers.forEach((value: string, name: string) => {
              headers[name] = value;
            });
            const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
            const exchange = await site.request(request.url, { method: request.method, headers, body, context });
            return new window.Response(exchange.body, {
              status: exchange.status,
              headers: flatHeaders(exchange.headers),
            });
          },
        },
      },
    },
  });
  // The client's heartbeat is an interval: a page a test forgot to close must not keep the test's
  // process alive for ever. (Timeouts stay: an action may wait for one, a debounce.)
  const setInterval = window.setInterval.bind(window);
  Object.defineProperty(window, 'setInterval', {
    configurable: true,
    writable: true,
    value: (...args: Parameters<typeof setInterval>) => {
      const interval = setInterval(...args);
      (interval as unknown as { unref?: () => void }).unref?.();
      return interval;
    },
  });
  return window;
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && name !== 'set-cookie') flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

import type { Page } from 'playwright-core';
import { sampleScripts } from './fixtures.js';
import { type ServedBrowser, servedInBrowser } from './proxied-browser.js';

/**
 * A copy of sample-scripts/ served on a free port and a Chromium to drive it, for the `describe`
 * this is called in (see {@link servedInBrowser}), with `open(path)`: a new page, live.
 */
export function samplesInBrowser(): ServedBrowser & { open(path: string): Promise<Page> } {
  const served = servedInBrowser(sampleScripts());
  return {
    get server() {
      return served.server;
    },
    get proxy() {
      return served.proxy;
    },
    get browser() {
      return served.browser;
    },
    /** A new page in its own context at `path`, once its socket is open (the page is live). */
    async open(path: string) {
      const context = await served.browser.newContext();
      const page = await context.newPage();
      await page.goto(`${served.server.url}${path}`);
      await page.waitForFunction(() => document.serverSocket?.closed === false, undefined, { polling: 20 });
      return page;
    },
  };
}

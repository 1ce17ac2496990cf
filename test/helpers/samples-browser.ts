import { after, before } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { sampleScripts } from './fixtures.js';
import { startServer, type TestServer } from './server.js';

/**
 * A copy of sample-scripts/ served on a free port and a Chromium to drive it, for the `describe`
 * this is called in: started before its tests, closed after them.
 */
export function samplesInBrowser(): { server(): TestServer; browser(): Browser; open(path: string): Promise<Page> } {
  const samples = sampleScripts();
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  before(async () => {
    server = await startServer({ dir: samples.dir });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    samples.remove();
  });
  const started = <T>(thing: T | undefined): T => {
    if (thing === undefined) throw new Error('samplesInBrowser: used before its before() hook ran');
    return thing;
  };
  return {
    server: () => started(server),
    browser: () => started(browser),
    /** A new page in its own context at `path`, once its socket is open (the page is live). */
    async open(path: string) {
      const context = await started(browser).newContext();
      const page = await context.newPage();
      await page.goto(`${started(server).url}${path}`);
      await page.waitForFunction(() => document.serverSocket?.closed === false, undefined, { polling: 20 });
      return page;
    },
  };
}

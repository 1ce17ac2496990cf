import { after, before } from 'node:test';
import type { PagewireOptions } from '../../lib/index.js';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { CuttableProxy } from './proxy.js';
import { startServer, type TestServer } from './server.js';

/** What a browser test drives, once its `before` hook has run. */
export interface ServedBrowser {
  readonly server: TestServer;
  /** A proxy in front of the server that cuts, refuses or holds connections (`proxied: true` only). */
  readonly proxy: CuttableProxy;
  readonly browser: Browser;
}

/**
 * The before/after of a Chromium test, for the `describe` it is called in: a real server on a
 * free port serving `folder` (which is removed after), a {@link CuttableProxy} in front of it when
 * `proxied`, and a headless Chromium. Closed in the reverse order.
 */
export function servedInBrowser(
  folder: { dir: string; remove(): void },
  options: { proxied?: boolean; server?: Omit<PagewireOptions, 'dir'> } = {},
): ServedBrowser {
  let server: TestServer | undefined;
  let proxy: CuttableProxy | undefined;
  let browser: Browser | undefined;
  before(async () => {
    server = await startServer({ ...options.server, dir: folder.dir });
    if (options.proxied) proxy = await CuttableProxy.start(Number(new URL(server.url).port));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.close();
    folder.remove();
  });
  const started = <T>(thing: T | undefined, what: string): T => {
    if (thing === undefined) throw new Error(`servedInBrowser: no ${what} (before its before() hook, or not proxied)`);
    return thing;
  };
  return {
    get server() {
      return started(server, 'server');
    },
    get proxy() {
      return started(proxy, 'proxy');
    },
    get browser() {
      return started(browser, 'browser');
    },
  };
}

import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, headless, with nothing that reaches off this machine. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * What the page's WebSockets (its page socket) received, and when they opened and closed, as
 * Playwright sees them: a test waits for the frame or the close that proves a thing happened.
 * Call before the page navigates.
 */
export function socketLog(page: Page): { frames: Array<Record<string, unknown>>; opened(): number; closed(): number } {
  const frames: Array<Record<string, unknown>> = [];
  let opened = 0;
  let closed = 0;
  page.on('websocket', (socket) => {
    opened++;
    socket.on('framereceived', ({ payload }) => {
      if (typeof payload === 'string') frames.push(JSON.parse(payload) as Record<string, unknown>);
    });
    socket.on('close', () => closed++);
  });
  return { frames, opened: () => opened, closed: () => closed };
}

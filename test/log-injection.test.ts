import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { consoleLogger, type Logger } from '../lib/index.js';
import { consoleLine } from '../lib/logger.js';
import { forLog } from '../lib/log-text.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { joinPage, renderLive, startServer, type TestServer } from './helpers/server.js';

/** An event name that writes a line of its own into the log, in red, if printed as it is. */
const FORGED = 'x\n[pagewire] forged\x1b[31m';

const folder = scriptsFolder({
  // Live (a close hook) without __serverSocketEvent: an event for it is logged as ignored, by name.
  'deaf.ts': `page.onClose(() => {});
echo('<p>deaf</p>');`,
  // A script that logs what it is sent, and fails on it: its own text, holding the browser's.
  'echo.ts': `function __serverSocketEvent(name: string) {
  console.log('got event ' + name);
  throw new Error('unknown event ' + name);
}`,
});

/** What the console logger printed, each call one entry (a line, or a message's lines). */
function captureConsole(): { printed: string[]; restore(): void } {
  const printed: string[] = [];
  const methods = ['debug', 'info', 'warn', 'error', 'log'] as const;
  const saved = methods.map((method) => console[method]);
  for (const method of methods) console[method] = (text: unknown) => void printed.push(String(text));
  return {
    printed,
    restore: () => {
      methods.forEach((method, i) => {
        console[method] = saved[i] as (typeof console)[typeof method];
      });
    },
  };
}

describe('log injection: a browser cannot write lines of its own into the log', () => {
  let server: TestServer;
  const messages: string[] = [];
  // The console logger, and what a custom logger receives, side by side.
  const tee =
    (level: keyof Logger): Logger[keyof Logger] =>
    (message, fields) => {
      messages.push(message);
      consoleLogger[level](message, fields);
    };
  const logger: Logger = { debug: tee('debug'), info: tee('info'), warn: tee('warn'), error: tee('error') };
  let output: ReturnType<typeof captureConsole>;
  before(async () => {
    server = await startServer({ dir: folder.dir, logger });
    output = captureConsole();
  });
  after(async () => {
    output.restore();
    await server.close();
    folder.remove();
  });

  it('an event name with a newline and ANSI escapes: one log line, the escapes visible', async () => {
    const { pageId, cookie } = await renderLive(server.url, '/deaf');
    const client = await joinPage(server.origin, pageId, cookie);
    client.event(pageId, FORGED);
    await waitFor(() => output.printed.some((text) => text.includes('ignored')), 'the ignored event in the log');
    await client.close();
    const line = output.printed.find((text) => text.includes('ignored')) as string;
    assert.equal(line.split('\n').length, 1, line);
    assert.ok(line.startsWith('[pagewire] deaf.ts'), line);
    assert.ok(line.includes("event 'x\\n[pagewire] forged\\u001b[31m' ignored"), line);
    // A custom logger gets the message as one line too: the name was escaped where it went in.
    const message = messages.find((text) => text.includes('ignored')) as string;
    assert.ok(!message.includes('\n') && !message.includes('\x1b'), message);
  });

  it("a script's own text holding the name (console.log, an error): no forged line, no escape sequence", async () => {
    const { pageId, cookie } = await renderLive(server.url, '/echo');
    const client = await joinPage(server.origin, pageId, cookie);
    client.event(pageId, FORGED);
    await waitFor(
      () =>
        output.printed.some((text) => text.includes('got event')) &&
        output.printed.some((t) => t.includes('EVENT_ERROR')),
      'the script output and its error in the log',
    );
    await client.close();
    for (const text of output.printed) {
      assert.ok(!text.includes('\x1b'), text);
      const [first, ...rest] = text.split('\n');
      assert.ok(first?.startsWith('[pagewire] '), text);
      for (const line of rest) assert.ok(!line.startsWith('['), `a line of its own: ${JSON.stringify(line)}`);
    }
    const logged = output.printed.find((text) => text.includes('got event')) as string;
    assert.equal(
      logged,
      `[pagewire] echo.ts [page ${pageId.slice(0, 6)}]: got event x\n  [pagewire] forged\\u001b[31m`,
    );
  });
});

describe('forLog and the console line', () => {
  it('forLog writes every control character as an escape, on one line', () => {
    assert.equal(
      forLog('a\r\nb\tc\x1b[2K\x00\x7f\u0085\u2028\u202e'),
      'a\\r\\nb\\tc\\u001b[2K\\u0000\\u007f\\u0085\\u2028\\u202e',
    );
    assert.equal(forLog('café ✓'), 'café ✓');
  });

  it('the console line escapes its fields, and indents a message line that starts in column 0', () => {
    assert.equal(
      consoleLine('boom\n[pagewire] fake\n    at x (a.ts:1:1)', { script: 'a\nb.ts', code: 'X\x1b' }),
      '[pagewire] boom · code=X\\u001b script=a\\nb.ts\n  [pagewire] fake\n    at x (a.ts:1:1)',
    );
  });
});

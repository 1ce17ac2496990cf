import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { SocketClient, joinPage, renderLive, startServer, type TestServer } from './helpers/server.js';

const folder = scriptsFolder({
  'hello.ts': `echo('<p>hello</p>');
server_socket_event('rendered', 'pushed while rendering');
let clicks = 0;
page.onClose(() => console.log('hello closed'));
function __serverSocketEvent(name: string, event: unknown) {
  if (name === 'test_click') server_socket_event('message', \`You clicked the button (\${++clicks})\`);
  if (name === 'echo') server_socket_event('echo', event);
  if (name === 'throw') throw new Error('handler broke');
  if (name === 'timer') setTimeout(() => { throw new Error('timer broke'); }, 1);
  if (name === 'exit') process.exit(1);
  if (name === 'close') page.close();
  if (name === 'grace') { page.setDisconnectGrace(event as number); server_socket_event('grace', event); }
}`,
  // Says goodbye and ends itself when told: by its browser ('later'), or, while its browser is
  // away, by another page on the 'farewell' channel. Its grace outlasts any test.
  'farewell.ts': `page.onClose(() => console.log('farewell closed ' + page.id));
page.setDisconnectGrace(600_000);
const goodbye = () => { server_socket_event('last', 'see you'); page.close(); };
page.channel('farewell').subscribe((id) => { if (id === page.id) goodbye(); });
function __serverSocketEvent(name: string) {
  if (name === 'later') setTimeout(goodbye, 100);
}`,
  'farewell-trigger.ts': `function __serverSocketEvent(name: string, event: unknown) {
  if (name === 'goodbye') page.channel('farewell').publish(event);
}`,
  'news.ts': `echo('<p>news</p>');
function __serverSocketEvent(name: string, event: unknown) {
  if (name === 'publish') page.broadcast('news', event);
}`,
  'chat-a.ts': `page.channel('lobby').subscribe((m) => server_socket_event('lobby', m));
function __serverSocketEvent(name: string, event: unknown) { page.channel('lobby').publish(event); }`,
  'chat-b.ts': `page.channel('lobby').subscribe((m) => server_socket_event('lobby', m));
function __serverSocketEvent() {}`,
});

describe('page socket', () => {
  let server: TestServer;
  before(async () => {
    // Pages wait for their browser, and for it to come back, for ten minutes (the helpers'
    // default): the tests of those timeouts set them short on their own server or page.
    server = await startServer({ dir: folder.dir, dev: true });
  });
  after(async () => {
    await server.close();
    folder.remove();
  });

  it('carries a client event to the hook and the push back, after what was pushed while rendering', async () => {
    const { pageId, cookie } = await renderLive(server.url, '/hello');
    const client = await joinPage(server.origin, pageId, cookie);
    assert.deepEqual(await client.next((f) => f.n === 'rendered'), {
      t: 'push',
      p: pageId,
      s: 1,
      n: 'rendered',
      d: 'pushed while rendering',
    });
    client.event(pageId, 'test_click');
    client.event(pageId, 'test_click');
    await client.next((f) => f.d === 'You clicked the button (2)');
    assert.deepEqual(
      client.frames.filter((f) => f.n === 'message').map((f) => f.d),
      ['You clicked the button (1)', 'You clicked the button (2)'],
    );
    client.event(pageId, 'echo', { nested: ['data', 1, null] });
    assert.deepEqual((await client.next((f) => f.n === 'echo')).d, { nested: ['data', 1, null] });
    await client.close();
  });

  it('multiplexes the pages of a document over one socket', async () => {
    const first = await renderLive(server.url, '/hello');
    const second = await renderLive(server.url, '/hello', first.cookie);
    const client = await joinPage(server.origin, first.pageId, first.cookie);
    client.send({ t: 'join', p: second.pageId, a: 0 });
    await client.next((f) => f.t === 'joined' && f.p === second.pageId);
    client.event(second.pageId, 'test_click');
    client.event(first.pageId, 'test_click');
    client.event(second.pageId, 'test_click');
    await client.next((f) => f.p === second.pageId && f.d === 'You clicked the button (2)');
    await client.next((f) => f.p === first.pageId && f.d === 'You clicked the button (1)');
    await client.close();
  });

  it('refuses an upgrade without a session cookie or with an unknown one: 404, not claimed', async () => {
    await assert.rejects(SocketClient.connect(server.origin, ''), /upgrade refused: 404/);
    await assert.rejects(
      SocketClient.connect(server.origin, 'pagewire_sid=AAAAAAAAAAAAAAAAAAAAAA'),
      /upgrade refused: 404/,
    );
  });

  it('refuses an upgrade from a foreign Origin (403), even with a valid cookie', async () => {
    const { cookie } = await renderLive(server.url, '/hello');
    await assert.rejects(
      SocketClient.connect(server.origin, cookie, { origin: 'http://evil.example' }),
      /upgrade refused: 403/,
    );
    assert.ok(server.log.lines.some((line) => line.includes('refused a page socket from origin http://evil.example')));
  });

  it('accepts an Origin listed in allowedOrigins', async () => {
    const other = await startServer({ dir: folder.dir, allowedOrigins: ['http://app.example'] });
    try {
      const { pageId, cookie } = await renderLive(other.url, '/hello');
      await assert.rejects(SocketClient.connect(other.origin, cookie), /upgrade refused: 403/);
      const client = await SocketClient.connect(other.origin, cookie, { origin: 'http://app.example' });
      client.send({ t: 'join', p: pageId, a: 0 });
      await client.next((f) => f.t === 'joined');
      await client.close();
    } finally {
      await other.close();
    }
  });

  it("leaves other paths' upgrades to their owners", async () => {
    const echo = new WebSocketServer({ noServer: true });
    const onUpgrade = (
      req: import('node:http').IncomingMessage,
      socket: import('node:stream').Duplex,
      head: Buffer,
    ) => {
      if (req.url === '/other')
        echo.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(`echo:${m}`)));
    };
    server.server.on('upgrade', onUpgrade);
    try {
      const ws = new WebSocket(`${server.origin.replace('http', 'ws')}/other`);
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      ws.send('hi');
      const reply = await new Promise<unknown>((resolve) => ws.once('message', (data) => resolve(data)));
      assert.equal(String(reply), 'echo:hi');
      ws.close();
    } finally {
      server.server.off('upgrade', onUpgrade);
      echo.close();
    }
  });

  it('answers malformed frames with a clear error and keeps serving', async () => {
    const { pageId, cookie } = await renderLive(server.url, '/hello');
    const client = await joinPage(server.origin, pageId, cookie);
    const bad = [
      'not json',
      '[1,2]',
      '{"t":"ev","n":"x"}',
      `{"t":"nope","p":"${pageId}"}`,
      `{"t":"ev","p":"${pageId}"}`,
      `{"t":"ev","p":"${pageId}","n":""}`,
      'null',
    ];
    for (const frame of bad) client.send(frame);
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await waitFor(
      () => client.frames.filter((f) => f.code === 'BAD_MESSAGE').length === bad.length + 1,
      'an error per bad frame',
    );
    const messages = client.frames.filter((f) => f.code === 'BAD_MESSAGE').map((f) => f.message);
    assert.deepEqual(messages.slice(0, 3), [
      'message refused: not JSON',
      'message refused: not a JSON object',
      "message refused: 'p' must be a page id",
    ]);
    client.event(pageId, 'test_click');
    await client.next((f) => f.n === 'message');
    await client.close();
  });

  it('closes a socket that sends a message over maxMessageBytes (1009), and keeps serving', async () => {
    const { pageId, cookie } = await renderLive(server.url, '/hello');
    const client = await joinPage(server.origin, pageId, cookie);
    const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
    client.event(pageId, 'echo', 'x'.repeat(70 * 1024));
    assert.equal(await closed, 1009);
    const again = await joinPage(server.origin, pageId, cookie);
    again.event(pageId, 'test_click');
    await again.next((f) => f.n === 'message');
    await again.close();
  });

  it("refuses another session's page and events for pages not joined", async () => {
    const mine = await renderLive(server.url, '/hello');
    const theirs = await renderLive(server.url, '/hello');
    const client = await SocketClient.connect(server.origin, mine.cookie);
    client.send({ t: 'join', p: theirs.pageId, a: 0 });
    assert.equal((await client.next((f) => f.t === 'error')).code, 'UNKNOWN_PAGE');
    client.event(mine.pageId, 'test_click');
    assert.equal((await client.next((f) => f.code === 'NOT_JOINED')).p, mine.pageId);
    await client.close();
  });

  it('survives a script that throws in a handler or timer or calls process.exit; in dev the page is told', async () => {
    const { pageId, cookie } = await renderLive(server.url, '/hello');
    const client = await joinPage(server.origin, pageId, cookie);
    client.event(pageId, 'throw');
    const thrown = await client.next((f) => f.t === 'error' && f.code === 'EVENT_ERROR');
    assert.match(String(thrown.message), /^hello\.ts:8:\d+ Error: handler broke/);
    assert.match(String(thrown.detail), /> {2}8 \| {3}if \(name === 'throw'\)/);
    client.event(pageId, 'timer');
    await client.next((f) => f.code === 'TIMER_ERROR');
    client.event(pageId, 'exit');
    assert.match(
      String(
        (await client.next((f) => f.code === 'EVENT_ERROR' && String(f.message).includes('process.exit'))).message,
      ),
      /process\.exit\(\) is not available/,
    );
    client.event(pageId, 'test_click');
    await client.next((f) => f.n === 'message');
    assert.ok(
      server.log.lines.some((line) => line.startsWith('error: hello.ts:8:')),
      'logged with file:line',
    );
    const res = await fetch(`${server.url}/news`);
    assert.equal(res.status, 200);
    await client.close();
  });

  it('closes a page that never connects after connectTimeout, running its close hooks', async () => {
    const short = await startServer({ dir: folder.dir, connectTimeout: 300 });
    try {
      const { pageId, cookie } = await renderLive(short.url, '/hello');
      await waitFor(
        () => short.log.lines.some((line) => line.includes(`[page ${pageId.slice(0, 6)}]: hello closed`)),
        'the close hook',
      );
      // Its session owned nothing else: it may not even open a socket now.
      await assert.rejects(SocketClient.connect(short.origin, cookie), /upgrade refused: 404/);
    } finally {
      await short.close();
    }
  });

  it('keeps a disconnected page through the grace period, then closes it', async () => {
    const { pageId, cookie } = await renderLive(server.url, '/hello');
    const first = await joinPage(server.origin, pageId, cookie);
    first.event(pageId, 'test_click');
    await first.next((f) => f.n === 'message');
    await first.close();
    const second = await joinPage(server.origin, pageId, cookie, 2);
    second.send({ t: 'ev', p: pageId, s: 2, n: 'test_click' });
    assert.equal(
      (await second.next((f) => f.n === 'message')).d,
      'You clicked the button (2)',
      'same instance, same state',
    );
    // Now a short grace (the script's own), confirmed before the browser goes away again.
    second.send({ t: 'ev', p: pageId, s: 3, n: 'grace', d: 300 });
    await second.next((f) => f.n === 'grace');
    await second.close();
    await waitFor(
      () => server.log.lines.some((line) => line.includes(`[page ${pageId.slice(0, 6)}]: hello closed`)),
      'the close hook after the grace period',
    );
  });

  it('closes the page at once on bye (pagehide), and when the script calls page.close()', async () => {
    const a = await renderLive(server.url, '/hello');
    const client = await joinPage(server.origin, a.pageId, a.cookie);
    client.send({ t: 'bye', p: a.pageId });
    assert.deepEqual(await client.next((f) => f.t === 'closed'), {
      t: 'closed',
      p: a.pageId,
      reason: 'closed-by-client',
    });
    assert.ok(server.log.lines.some((line) => line.includes(`[page ${a.pageId.slice(0, 6)}]: hello closed`)));
    const b = await renderLive(server.url, '/hello', a.cookie);
    client.send({ t: 'join', p: b.pageId, a: 0 });
    client.event(b.pageId, 'close');
    assert.equal((await client.next((f) => f.t === 'closed' && f.p === b.pageId)).reason, 'closed-by-script');
    await client.close();
  });

  it('a page its script closed while the browser was away: on re-join, the pushes it missed, then closed', async () => {
    // A server of its own: its counts say when the server has seen the browser go.
    const own = await startServer({ dir: folder.dir });
    try {
      const { pageId, cookie } = await renderLive(own.url, '/farewell');
      const trigger = await renderLive(own.url, '/farewell-trigger');
      const triggerClient = await joinPage(own.origin, trigger.pageId, trigger.cookie);
      const first = await joinPage(own.origin, pageId, cookie);
      // The browser goes away; then the script says goodbye and ends the page.
      await first.close();
      await waitFor(() => own.wire.stats().disconnected === 1, 'the server to see the browser go');
      triggerClient.event(trigger.pageId, 'goodbye', pageId);
      await waitFor(
        () => own.log.lines.some((line) => line.includes(`farewell closed ${pageId}`)),
        'the page to close',
      );
      const again = await SocketClient.connect(own.origin, cookie);
      again.send({ t: 'join', p: pageId, a: 0 });
      assert.equal((await again.next((f) => f.t === 'closed')).reason, 'closed-by-script');
      assert.deepEqual(
        again.frames.map((f) => [f.t, f.final, f.n, f.d]),
        [
          ['joined', true, undefined, undefined],
          ['push', undefined, 'last', 'see you'],
          ['closed', undefined, undefined, undefined],
        ],
      );
      // Given once: the page is gone now.
      again.send({ t: 'join', p: pageId, a: 0 });
      assert.equal((await again.next((f) => f.t === 'error')).code, 'UNKNOWN_PAGE');
      await Promise.all([again.close(), triggerClient.close()]);
    } finally {
      await own.close();
    }
  });

  it('a page its script closes while connected keeps nothing: it was sent its pushes and closed', async () => {
    const { pageId, cookie } = await renderLive(server.url, '/farewell');
    const client = await joinPage(server.origin, pageId, cookie);
    client.event(pageId, 'later');
    assert.equal((await client.next((f) => f.t === 'closed')).reason, 'closed-by-script');
    assert.ok(client.frames.some((f) => f.n === 'last'));
    await client.close();
    // No tombstone keeps the session: its only page is gone.
    await assert.rejects(SocketClient.connect(server.origin, cookie), /upgrade refused: 404/);
  });

  it('broadcasts to every page of the script, whatever its session', async () => {
    const a = await renderLive(server.url, '/news');
    const b = await renderLive(server.url, '/news');
    const hello = await renderLive(server.url, '/hello', a.cookie);
    const ca = await joinPage(server.origin, a.pageId, a.cookie);
    ca.send({ t: 'join', p: hello.pageId, a: 0 });
    await ca.next((f) => f.t === 'joined' && f.p === hello.pageId);
    const cb = await joinPage(server.origin, b.pageId, b.cookie);
    ca.event(a.pageId, 'publish', 'extra!');
    assert.equal((await cb.next((f) => f.n === 'news')).d, 'extra!');
    assert.equal((await ca.next((f) => f.n === 'news')).p, a.pageId);
    assert.equal(
      ca.frames.some((f) => f.n === 'news' && f.p === hello.pageId),
      false,
    );
    await Promise.all([ca.close(), cb.close()]);
  });

  it('carries channel messages between pages of different scripts', async () => {
    const a = await renderLive(server.url, '/chat-a');
    const b = await renderLive(server.url, '/chat-b');
    const ca = await joinPage(server.origin, a.pageId, a.cookie);
    const cb = await joinPage(server.origin, b.pageId, b.cookie);
    ca.event(a.pageId, 'say', { text: 'hi all' });
    assert.deepEqual((await cb.next((f) => f.n === 'lobby')).d, { text: 'hi all' });
    assert.deepEqual((await ca.next((f) => f.n === 'lobby')).d, { text: 'hi all' });
    await Promise.all([ca.close(), cb.close()]);
  });
});

describe('wire.close()', () => {
  it('tells connected pages, runs close hooks, closes sockets, and is safe to call twice', async () => {
    const dir = scriptsFolder({
      'p.ts': `page.onClose(() => console.log('closing'));\nfunction __serverSocketEvent() {}`,
    });
    const server = await startServer({ dir: dir.dir });
    try {
      const { pageId, cookie } = await renderLive(server.url, '/p');
      const client = await joinPage(server.origin, pageId, cookie);
      const socketClosed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
      await Promise.all([server.wire.close(), server.wire.close()]);
      assert.deepEqual(await client.next((f) => f.t === 'closed'), { t: 'closed', p: pageId, reason: 'shutdown' });
      assert.equal(await socketClosed, 1001);
      assert.ok(server.log.lines.some((line) => line.endsWith('closing')));
      assert.equal(server.wire.pageCount, 0);
      await server.wire.close();
    } finally {
      await server.close();
      dir.remove();
    }
  });
});

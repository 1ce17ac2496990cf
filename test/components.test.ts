/**
 * Components and fragments on the wire (real HTTP and a real `ws` client): a fragment belongs to
 * the document that asked for it (it joins only on that document's socket, and ends with it),
 * counts against the session's page limits, and is asked for by a page of the same session only;
 * `include()` of what is not a script, recursive or too deep includes, fail at the script's line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ErrorContext } from '../lib/index.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { fetchPage, joinPage, renderLive, requestJoin, startServer, type TestServer } from './helpers/server.js';

const live = (body: string) => `echo(html\`${body}\`);\nfunction __serverSocketEvent() {}\n`;
const deep = Object.fromEntries(
  Array.from({ length: 9 }, (_, i) => [`d${i + 1}.ts`, `echo(await include('/d${i + 2}'));\n`]),
);

const folder = scriptsFolder({
  'host.ts': live('<p>host</p>'),
  'widget.ts': `page.onClose(() => page.channel('closed').publish(page.id));\n${live('<p>widget</p>')}`,
  'noted.ts': `page.onClose(() => console.log('noted closed'));\n${live('<p>noted</p>')}`,
  'listener.ts': `page.channel('closed').subscribe((id) => server_socket_event('gone', id));\n${live('')}`,
  'missing.ts': `const x = 1;\necho(await include('/nothing-here'));\n`,
  'static.ts': `const x = 1;\necho(await include('/style.css'));\n`,
  'private.ts': `const x = 1;\necho(await include('/_partial'));\n`,
  'relative.ts': `const x = 1;\necho(await include('widget'));\n`,
  'no-path.ts': `const x = 1;\necho(await include(undefined as unknown as string));\n`,
  '_partial.ts': 'export const y = 1;\n',
  'style.css': 'p {}\n',
  'loop-a.ts': `echo(await include('/loop-b'));\n`,
  'loop-b.ts': `echo(await include('/loop-a'));\n`,
  ...deep,
  'd10.ts': live('<p>bottom</p>'),
  'props.ts': `echo(await include('/shows-props?q=1', { n: 2, list: ['a'] }));\n`,
  '_widgets.ts': `export const shown = () => include('/shows-props', { from: 'partial' });\n`,
  'via-partial.ts': `import { shown } from './_widgets.ts';\necho(await shown());\n`,
  'shows-props.ts': live('${JSON.stringify(request.props)} ${String(request.query.q)}'),
  'two-widgets.ts': `const x = 1;\necho(await include('/widget'));\necho(await include('/widget'));\n`,
});

type Reported = { error: Error; context: ErrorContext };

describe('components and fragments on the wire', { timeout: 120_000 }, () => {
  let server: TestServer;
  const reported: Reported[] = [];
  before(async () => {
    server = await startServer({
      dir: folder.dir,
      onError: (error, context) => void reported.push({ error, context }),
    });
  });
  after(async () => {
    await server?.close();
    folder.remove();
  });

  const fragment = (path: string, owner: string, cookie: string) =>
    fetchPage(server.url, path, cookie, { 'x-pagewire-fragment': owner });
  const fragmentId = async (path: string, owner: string, cookie: string) => {
    const response = await fetch(server.url + path, { headers: { cookie, 'x-pagewire-fragment': owner } });
    assert.equal(response.status, 200, await response.clone().text());
    const body = await response.text();
    assert.doesNotMatch(body, /<script/, 'no second client tag in a fragment');
    return response.headers.get('x-pagewire-page') ?? '';
  };

  it('a fragment joins on its document socket only; another document of the session cannot join it', async () => {
    const host = await renderLive(server.url, '/host');
    const other = await renderLive(server.url, '/host', host.cookie);
    const widget = await fragmentId('/widget', host.pageId, host.cookie);
    assert.match(widget, /^[\w-]{22}$/);
    const otherSocket = await joinPage(server.url, other.pageId, host.cookie);
    otherSocket.send({ t: 'join', p: widget, a: 0 });
    const refused = await otherSocket.next((f) => f.t === 'error' && f.p === widget);
    assert.equal(refused.code, 'UNKNOWN_PAGE');
    const own = await joinPage(server.url, host.pageId, host.cookie);
    own.send({ t: 'join', p: widget, a: 0 });
    await own.next((f) => f.t === 'joined' && f.p === widget);
    await otherSocket.close();
    await own.close();
  });

  it('a fragment ends with its document: the owner closed, its close hook runs', async () => {
    const host = await renderLive(server.url, '/host');
    const listener = await renderLive(server.url, '/listener', host.cookie);
    const widget = await fragmentId('/widget', host.pageId, host.cookie);
    const watch = await joinPage(server.url, listener.pageId, host.cookie);
    const socket = await joinPage(server.url, host.pageId, host.cookie);
    socket.send({ t: 'join', p: widget, a: 0 });
    await socket.next((f) => f.t === 'joined' && f.p === widget);
    socket.send({ t: 'bye', p: host.pageId });
    await socket.next((f) => f.t === 'closed' && f.p === widget);
    const heard = await watch.next((f) => f.t === 'push' && f.n === 'gone');
    assert.equal(heard.d, widget);
    await socket.close();
    await watch.close();
  });

  it('a fragment is refused for a page of another session, and for no page', async () => {
    const host = await renderLive(server.url, '/host');
    const stranger = await renderLive(server.url, '/host');
    const theirs = await fragment('/widget', host.pageId, stranger.cookie);
    assert.equal(theirs.status, 403);
    assert.match(theirs.body, /not a live page of this browser session/);
    assert.equal((await fragment('/widget', 'x'.repeat(22), host.cookie)).status, 403);
    const foreign = await fetchPage(server.url, '/widget', host.cookie, {
      'x-pagewire-fragment': host.pageId,
      origin: 'http://evil.example',
    });
    assert.equal(foreign.status, 403);
  });

  it('fragments count against the session page limit (maxPagesPerSession)', async () => {
    const limited = await startServer({ dir: folder.dir, maxPagesPerSession: 4 });
    try {
      const host = await renderLive(limited.url, '/host');
      const socket = await joinPage(limited.url, host.pageId, host.cookie);
      const ask = () => fetchPage(limited.url, '/widget', host.cookie, { 'x-pagewire-fragment': host.pageId });
      for (let i = 0; i < 3; i++) {
        const { status } = await ask();
        assert.equal(status, 200);
      }
      // Three fragments never joined: the next one takes the oldest one's room, as a page does.
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${limited.url}/widget`, {
          headers: { cookie: host.cookie, 'x-pagewire-fragment': host.pageId },
        });
        const id = response.headers.get('x-pagewire-page') ?? '';
        socket.send({ t: 'join', p: id, a: 0 });
        await socket.next((f) => f.t === 'joined' && f.p === id);
      }
      const fifth = await ask();
      assert.equal(fifth.status, 429);
      assert.match(fifth.body, /maxPagesPerSession/);
      assert.equal(fifth.newSession, undefined, 'a fragment never moves to a new session');
      await socket.close();
    } finally {
      await limited.close();
    }
  });

  it('include(): props, query and the page of its own; not live, the including page is', async () => {
    const { body, pageId } = await fetchPage(server.url, '/props');
    assert.ok(pageId, 'a page with a component is live');
    const component = /<pw-component id="pwc-[\w-]{22}" data-pw-page="([\w-]{22})">(.*?)<\/pw-component>/s.exec(body);
    assert.ok(component, body);
    assert.notEqual(component[1], pageId);
    assert.match(component[2] ?? '', /\{&quot;n&quot;:2,&quot;list&quot;:\[&quot;a&quot;\]\} 1/);
  });

  it("include() in a partial's function includes for the page that called it", async () => {
    const { body, pageId } = await fetchPage(server.url, '/via-partial');
    assert.ok(pageId);
    assert.match(
      body,
      /<pw-component id="pwc-[\w-]{22}" data-pw-page="[\w-]{22}">\{&quot;from&quot;:&quot;partial&quot;\}/,
    );
  });

  for (const [script, why] of [
    ['missing', /no script serves \/nothing-here \(it does not exist, or it is private/],
    ['static', /\/style\.css is a static file, not a script/],
    ['private', /no script serves \/_partial/],
    ['relative', /path must start with \/ .*not relative to this script.*got 'widget'$/],
    ['no-path', /path must start with \/ .*got undefined$/],
    ['loop-a', /a recursive include \(loop-a\.ts -> loop-b\.ts -> loop-a\.ts\)/],
    ['d1', /components nest 9 deep \(d1\.ts -> d2\.ts -> .* -> d9\.ts\), past 8/],
  ] as const) {
    it(`include() refused (${script}): a render error at the script's line`, async () => {
      reported.length = 0;
      const { status } = await fetchPage(server.url, `/${script}`);
      assert.equal(status, 500);
      const render = reported.find((r) => r.context.code === 'RENDER_ERROR');
      assert.ok(render, JSON.stringify(reported.map((r) => r.context)));
      assert.match(render.error.message, why);
      if (['missing', 'static', 'private', 'relative', 'no-path'].includes(script)) {
        assert.equal(render.context.file, `${script}.ts`);
        assert.equal(render.context.line, 2);
      }
    });
  }

  it('a fragment never joined closes after connectTimeout, as a page that never connects', async () => {
    // Long enough for the host to join first on a loaded machine; the fragment never will.
    const short = await startServer({ dir: folder.dir, connectTimeout: 3000 });
    try {
      const host = await renderLive(short.url, '/host');
      const socket = await joinPage(short.url, host.pageId, host.cookie);
      const response = await fetch(`${short.url}/noted`, {
        headers: { cookie: host.cookie, 'x-pagewire-fragment': host.pageId },
      });
      const widget = response.headers.get('x-pagewire-page') ?? '';
      assert.match(widget, /^[\w-]{22}$/);
      await waitFor(
        () => short.log.lines.some((line) => line.includes(`[page ${widget.slice(0, 6)}]: noted closed`)),
        'the close hook',
      );
      assert.equal(short.wire.pageCount, 1, 'the host lives on');
      await socket.close();
    } finally {
      await short.close();
    }
  });

  it('a join of a fragment with a guessed owner on a raw socket is refused', async () => {
    const host = await renderLive(server.url, '/host');
    const widget = await fragmentId('/widget', host.pageId, host.cookie);
    // The fragment alone on a socket where its owner never joined.
    const alone = await requestJoin(server.url, widget, host.cookie);
    const refused = await alone.next((f) => f.t === 'error' && f.p === widget);
    assert.equal(refused.code, 'UNKNOWN_PAGE');
    await alone.close();
  });

  const limits: Array<[option: 'maxPagesPerSession' | 'maxPages', message: RegExp]> = [
    ['maxPagesPerSession', /2 open pages, the most allowed \(maxPagesPerSession\)/],
    ['maxPages', /2 live pages, the most allowed \(maxPages\)/],
  ];
  for (const [option, message] of limits) {
    it(`past ${option}, a render's include never evicts a component of a page still rendering`, async () => {
      const tight = await startServer({
        dir: folder.dir,
        [option]: 2,
        onError: (error, context) => void reported.push({ error, context }),
      });
      try {
        reported.length = 0;
        // The page and its first widget fill the limit: the second widget must not take the
        // first one's place (its HTML would be sent dead), so the include is refused, at its line.
        const { status } = await fetchPage(tight.url, '/two-widgets');
        assert.equal(status, 500);
        const render = reported.find((r) => r.context.code === 'RENDER_ERROR');
        assert.ok(render, JSON.stringify(reported.map((r) => r.context)));
        assert.match(render.error.message, message);
        assert.equal(render.context.line, 3);
      } finally {
        await tight.close();
      }
    });
  }
});

import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { realDelay, scriptsFolder, waitForAsync } from './helpers/fixtures.js';
import { SocketClient, joinPage, renderLive, startServer, type TestServer } from './helpers/server.js';

const live = (text: string) => `echo(${JSON.stringify(text)});\nfunction __serverSocketEvent() {}\n`;

describe('hot reload (dev), with real files and a real watcher', () => {
  const folder = scriptsFolder({
    'page.ts': live('version 1'),
    'other.ts': `let count = 0;
echo('other');
function __serverSocketEvent() { server_socket_event('count', ++count); }`,
    'deep.ts': `import { middle } from './_middle';\necho(middle());\nfunction __serverSocketEvent() {}\n`,
    '_middle.ts': `import { leaf } from './_leaf.ts';\nexport const middle = () => 'middle+' + leaf();\n`,
    '_leaf.ts': `export const leaf = () => 'leaf 1';\n`,
    'doomed.ts': live('doomed'),
    'editor.ts': live('editor 1'),
    // Does not compile: in dev its error page reloads on any change of the folder.
    'oops.ts': `echo('oops');\nconst x = ;\n`,
  });
  let server: TestServer;
  before(async () => {
    server = await startServer({ dir: folder.dir, dev: true });
    await server.wire.ready();
  });
  after(async () => {
    await server.close();
    folder.remove();
  });

  const text = async (route: string, cookie = '') =>
    (await fetch(`${server.url}${route}`, { headers: { cookie } })).text();
  const closedFrame = (client: SocketClient, pageId: string) => client.next((f) => f.t === 'closed' && f.p === pageId);
  /** The error page of oops.ts, joined on `client`: its `closed` frame says a change was handled. */
  const errorPage = async (client: SocketClient, cookie: string) => {
    const response = await fetch(`${server.url}/oops`, { headers: { cookie } });
    const pageId = /data-pagewire-page="([^"]+)"/.exec(await response.text())?.[1] as string;
    assert.equal(response.status, 500);
    client.send({ t: 'join', p: pageId, a: 0 });
    await client.next((f) => f.t === 'joined' && f.p === pageId);
    return pageId;
  };

  it('a saved script reloads its open pages, which render the new code; other pages keep their state', async () => {
    const page = await renderLive(server.url, '/page');
    const other = await renderLive(server.url, '/other', page.cookie);
    const client = await joinPage(server.origin, page.pageId, page.cookie);
    client.send({ t: 'join', p: other.pageId, a: 0 });
    await client.next((f) => f.t === 'joined' && f.p === other.pageId);
    client.event(other.pageId, 'add');
    await client.next((f) => f.n === 'count' && f.d === 1);

    folder.write('page.ts', live('version 2'));
    assert.equal((await closedFrame(client, page.pageId)).reason, 'reloaded');
    assert.match(await text('/page'), /version 2/);

    client.event(other.pageId, 'add');
    assert.equal(
      (await client.next((f) => f.n === 'count' && f.d === 2)).p,
      other.pageId,
      'the other page kept its state',
    );
    assert.equal(
      client.frames.some((f) => f.t === 'closed' && f.p === other.pageId),
      false,
    );
    await client.close();
  });

  it('a saved partial reloads the pages of every script that imports it, at any depth', async () => {
    const deep = await renderLive(server.url, '/deep');
    assert.match(deep.body, /middle\+leaf 1/);
    const client = await joinPage(server.origin, deep.pageId, deep.cookie);
    folder.write('_leaf.ts', `export const leaf = () => 'leaf 2';\n`);
    assert.equal((await closedFrame(client, deep.pageId)).reason, 'reloaded');
    assert.match(await text('/deep'), /middle\+leaf 2/);
    await client.close();
  });

  it('a file saved with the same content reloads nothing', async () => {
    const page = await renderLive(server.url, '/other');
    const client = await joinPage(server.origin, page.pageId, page.cookie);
    const sentinel = await errorPage(client, page.cookie);
    folder.write(
      'other.ts',
      `let count = 0;
echo('other');
function __serverSocketEvent() { server_socket_event('count', ++count); }`,
    );
    // The error page closes when the change has been handled; an event sent after that reaches
    // the page's runner after the change too. The page answers it: it was not reloaded.
    assert.equal((await closedFrame(client, sentinel)).reason, 'reloaded');
    client.event(page.pageId, 'add');
    const answer = await client.next(
      (f) => f.p === page.pageId && (f.n === 'count' || f.t === 'closed' || f.t === 'error'),
    );
    assert.deepEqual([answer.t, answer.n, answer.d], ['push', 'count', 1]);
    assert.equal(
      client.frames.some((f) => f.t === 'closed' && f.p === page.pageId),
      false,
    );
    await client.close();
  });

  it('a new file is a route at once; a deleted one answers 404 and its open pages are told', async () => {
    folder.write('fresh.ts', `echo('fresh');`);
    await waitForAsync(async () => (await fetch(`${server.url}/fresh`)).status === 200, 'the new route');
    assert.equal(await text('/fresh'), 'fresh');

    const doomed = await renderLive(server.url, '/doomed');
    const client = await joinPage(server.origin, doomed.pageId, doomed.cookie);
    rmSync(path.join(folder.dir, 'doomed.ts'));
    assert.equal((await closedFrame(client, doomed.pageId)).reason, 'deleted');
    await waitForAsync(async () => (await fetch(`${server.url}/doomed`)).status === 404, 'the route to go');
    await client.close();
  });

  it("editors' ways of saving: an atomic rename, quick successive writes, a briefly empty file", async () => {
    const saveAndReload = async (save: () => void | Promise<void>, expected: string) => {
      const page = await renderLive(server.url, '/editor');
      const client = await joinPage(server.origin, page.pageId, page.cookie);
      await save();
      assert.equal((await closedFrame(client, page.pageId)).reason, 'reloaded');
      assert.ok((await text('/editor')).endsWith(`</script>${expected}`), expected);
      await client.close();
    };
    const file = path.join(folder.dir, 'editor.ts');
    await saveAndReload(() => {
      writeFileSync(path.join(folder.dir, '.editor.ts.swp'), live('editor 2'));
      renameSync(path.join(folder.dir, '.editor.ts.swp'), file);
    }, 'editor 2');
    await saveAndReload(() => {
      for (let i = 3; i <= 6; i++) writeFileSync(file, live(`editor ${i}`));
    }, 'editor 6');
    // A briefly empty file, as an editor that truncates then writes leaves it. The server waits
    // 50 ms for the write before it takes an empty file for the new content: if the write came
    // within that (here, on a loaded machine, it may not), the reloaded page has it at once;
    // either way the route ends with it.
    const page = await renderLive(server.url, '/editor');
    const client = await joinPage(server.origin, page.pageId, page.cookie);
    const emptied = performance.now();
    writeFileSync(file, '');
    await realDelay(30);
    writeFileSync(file, live('editor 7'));
    const emptyFor = performance.now() - emptied;
    assert.equal((await closedFrame(client, page.pageId)).reason, 'reloaded');
    if (emptyFor < 50)
      assert.ok(
        (await text('/editor')).endsWith('</script>editor 7'),
        `editor 7 (empty for ${emptyFor.toFixed(0)} ms)`,
      );
    else
      await waitForAsync(
        async () => (await text('/editor')).endsWith('</script>editor 7'),
        `editor 7 (empty for ${emptyFor.toFixed(0)} ms)`,
      );
    await client.close();
  });

  it('shows a compile error at its line with a code frame; the error page reloads when the file is fixed', async () => {
    folder.write('broken.ts', `echo('start');\nconst x = ;\n`);
    await waitForAsync(async () => (await fetch(`${server.url}/broken`)).status === 500, 'the new route');
    const response = await fetch(`${server.url}/broken`);
    const body = await response.text();
    assert.match(body, /broken\.ts:2:11 SyntaxError: Unexpected token/);
    assert.match(body, /&gt; 2 \| const x = ;/);
    const errorPage = /data-pagewire-page="([^"]+)"/.exec(body)?.[1] as string;
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const client = await joinPage(server.origin, errorPage, cookie);
    folder.write('broken.ts', `echo('fixed');\n`);
    assert.equal((await closedFrame(client, errorPage)).reason, 'reloaded');
    assert.equal(await text('/broken'), 'fixed');
    await client.close();
  });

  it('guards the dev socket like every socket: a foreign site cannot listen for reloads', async () => {
    const page = await renderLive(server.url, '/page');
    await assert.rejects(
      SocketClient.connect(server.origin, page.cookie, { origin: 'http://evil.example' }),
      /upgrade refused: 403/,
    );
  });
});

describe('production (no dev)', () => {
  it('watches nothing: a saved script changes nothing until restart, and errors show no code', async () => {
    const folder = scriptsFolder({ 'page.ts': live('version 1'), 'broken.ts': 'const x = ;' });
    const server = await startServer({ dir: folder.dir });
    // A dev server on the same folder: when it serves the new version, the change was there to see.
    const dev = await startServer({ dir: folder.dir, dev: true });
    try {
      await dev.wire.ready();
      await fetch(`${server.url}/page`);
      folder.write('page.ts', live('version 2'));
      await waitForAsync(
        async () => /version 2/.test(await (await fetch(`${dev.url}/page`)).text()),
        'the dev server to see the change',
      );
      assert.match(await (await fetch(`${server.url}/page`)).text(), /version 1/);
      const broken = await (await fetch(`${server.url}/broken`)).text();
      assert.match(broken, /request id/);
      assert.doesNotMatch(broken, /broken\.ts|const x|data-pagewire-page/);
    } finally {
      await dev.close();
      await server.close();
      folder.remove();
    }
  });
});

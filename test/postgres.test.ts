import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type AddressInfo, type Socket, createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appFolder, waitFor, waitForAsync } from './helpers/fixtures.js';
import { type Postgres, startPostgres } from './helpers/postgres.js';
import { joinPage, renderLive, startServer, type TestServer } from './helpers/server.js';

const samples = path.join(import.meta.dirname, '..', 'sample-scripts');
const sample = (name: string) => readFileSync(path.join(samples, name), 'utf8');

/**
 * A cursor owned after its client (closed first, and the client's end waits for it), through a
 * function that says when the server confirmed its close.
 */
const LOGGED_CURSOR = `import pg from 'pg';
import Cursor from 'pg-cursor';
const client = page.own(new pg.Client({ connectionString: process.env.DATABASE_URL, application_name: 'logged' }));
await client.connect();
const cursor = client.query(new Cursor('SELECT n FROM generate_series(1, 1000) AS n'));
page.own(async () => {
  await cursor.close();
  console.info('cursor closed');
});
echo(String((await cursor.read(3)).map((row: { n: number }) => row.n)));
function __serverSocketEvent() {}
`;

/** PostgreSQL's Terminate message ('X', length 4): what pg's `client.end()` sends on a connection. */
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);

/**
 * A database that accepts connections and never answers, so a client's connect never finishes;
 * `ended`: for each connection its client closed, whether it sent Terminate first (`client.end()`,
 * rather than pg's connect timeout destroying the socket).
 */
async function silentDatabase() {
  const sockets = new Set<Socket>();
  const ended: boolean[] = [];
  let greeted: () => void = () => {};
  /** Resolves when a client has connected and sent its startup message. */
  const connected = new Promise<void>((resolve) => (greeted = resolve));
  const server = createServer((socket) => {
    sockets.add(socket);
    const received: Buffer[] = [];
    socket
      .on('data', (chunk: Buffer) => {
        received.push(chunk);
        greeted();
      })
      .on('error', () => {});
    socket.on('close', () => ended.push(Buffer.concat(received).subarray(-TERMINATE.length).equals(TERMINATE)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ended,
    connected,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The ids in the first column of the table rows of `html`, in order. */
const ids = (html: string) => [...html.matchAll(/<tr><td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('a real PostgreSQL, owned by the page (sample-scripts/people.ts)', () => {
  let db: Postgres;
  let server: TestServer;
  const app = appFolder({
    scripts: { 'people.ts': sample('people.ts'), '_layout.ts': sample('_layout.ts'), 'logged.ts': LOGGED_CURSOR },
    linked: ['pg', 'pg-cursor'],
  });
  const previousUrl = process.env.DATABASE_URL;
  const connections = async (name: string) =>
    Number(
      (
        await db.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [name])
      )[0]?.n,
    );

  before(async () => {
    db = await startPostgres();
    // Before the server starts: its worker threads and sandboxes copy the environment.
    process.env.DATABASE_URL = db.url;
    server = await startServer({ dir: app.scripts, workers: 1, env: ['DATABASE_URL'] });
  });
  after(async () => {
    if (previousUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = previousUrl;
    await server?.close();
    await db?.stop();
    app.remove();
  });

  it('pages through a large table with a server-side cursor; the connection ends with the page', async () => {
    const page = await renderLive(server.url, '/people');
    assert.deepEqual(ids(page.body), range(1, 20), page.body.slice(0, 500));
    assert.equal(await connections('pagewire-people'), 1);
    const client = await joinPage(server.origin, page.pageId, page.cookie);
    client.event(page.pageId, 'more');
    client.event(page.pageId, 'more');
    // Each click's rows come as one page.append to the table (a pw:dom push).
    const appended = () =>
      client.frames
        .filter((f) => f.n === 'pw:dom')
        .flatMap((f) =>
          (f.d as Array<{ op: string; selector?: string; html?: string }>).filter((op) => op.op === 'append'),
        )
        .map((op) => (op.selector === '#rows' ? ids(op.html ?? '') : []));
    const pushes = async (count: number) => {
      await waitFor(() => appended().length >= count, `${count} pages of rows`);
      return appended();
    };
    assert.deepEqual(await pushes(2), [range(21, 20), range(41, 20)]);
    client.event(page.pageId, 'more');
    assert.deepEqual((await pushes(3))[2], range(61, 20));

    client.send({ t: 'bye', p: page.pageId });
    await client.next((f) => f.t === 'closed' && f.p === page.pageId);
    await waitForAsync(async () => (await connections('pagewire-people')) === 0, 'the connection to end');
    await client.close();
  });

  it('the cursor is closed by the server before the connection ends', async () => {
    const page = await renderLive(server.url, '/logged');
    assert.match(page.body, /<\/script>1,2,3$/);
    assert.equal(await connections('logged'), 1);
    const client = await joinPage(server.origin, page.pageId, page.cookie);
    client.send({ t: 'bye', p: page.pageId });
    await client.next((f) => f.t === 'closed' && f.p === page.pageId);
    // The owned function resolved only once the server confirmed the close of the portal.
    assert.ok(
      server.log.lines.some((line) => line.includes('cursor closed')),
      server.log.lines.join('\n'),
    );
    await waitForAsync(async () => (await connections('logged')) === 0, 'the connection to end');
    await client.close();
  });

  it('a page that dies while its client connects ends that connection: the client is owned first', async () => {
    const silent = await silentDatabase();
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = `postgres://nobody@127.0.0.1:${silent.port}/none`;
    const other = await startServer({ dir: app.scripts, env: ['DATABASE_URL'] });
    let closed = false;
    try {
      // The database never answers: the page is still rendering, its client connected and waiting,
      // when the server shuts down, which closes every page (a closed tab or renderTimeout would too).
      const answered = fetch(`${other.url}/people`).then(
        (response) => response.status,
        () => 'no answer',
      );
      await silent.connected;
      await other.close();
      closed = true;
      assert.notEqual(await answered, 200);
      // Ended by the page's close, not left to pg's 5 s connect timeout (or, connected, open for good).
      await waitFor(() => silent.ended.length === 1, "the closed page's connection to end");
      assert.deepEqual(silent.ended, [true]);
    } finally {
      process.env.DATABASE_URL = saved;
      if (!closed) await other.close();
      await silent.close();
    }
  });

  it('without a database the sample says so and how to set one, and does not fail', async () => {
    const saved = process.env.DATABASE_URL;
    const render = async (url: string | undefined) => {
      if (url === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = url;
      // Scripts in this thread, in a new server: its sandboxes copy the environment as it is now.
      const other = await startServer({ dir: app.scripts, workers: 0, env: ['DATABASE_URL'] });
      try {
        return (await renderLive(other.url, '/people')).body;
      } finally {
        await other.close();
      }
    };
    try {
      // A port nothing listens on: the server is unreachable.
      const unreachable = await render('postgres://nobody@127.0.0.1:1/none');
      assert.match(unreachable, /No database:<\/strong> cannot reach the database at 127\.0\.0\.1:1/);
      assert.match(unreachable, /DATABASE_URL=postgres:\/\/user:password@localhost:5432\/mydb npm start/);
      assert.match(await render(undefined), /No database:<\/strong> DATABASE_URL is not set\./);
    } finally {
      process.env.DATABASE_URL = saved;
    }
  });
});

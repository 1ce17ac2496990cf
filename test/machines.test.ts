// A site on three machines, all real: three Express apps with Pagewire (their own node ids, one
// redis-server, one session secret) behind nginx running the config `pagewire proxy-config nginx`
// prints, driven by Chromium. A page rendered through nginx is live; a chat kept with `shared`
// and `page.broadcast` shows each post once on every machine; `wire.publish` on one machine
// reaches a page of another; Redis restarted under traffic costs no crash (renders and clicks
// go on, a post meanwhile fails with SHARED_UNAVAILABLE, the log says so, posts work again); a
// killed machine's page reloads onto another with the chat history that lived in Redis.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './helpers/browser.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { startMachine } from './helpers/machine-nodes.js';
import type { Nginx } from './helpers/nginx.js';
import { nginxInFront, type ProxiedNode, stopNode } from './helpers/proxied-nodes.js';
import { type RedisServer, startRedis } from './helpers/redis.js';

const CHAT = `const history = await shared.list('chat', 0, -1);
let clicks = 0;
page.channel('news').subscribe((text) => server_socket_event('news', text));
echo(html\`<p id="node">\${page.node}</p><output id="clicks">0</output><p id="news"></p><p id="failed"></p>
<ul id="posts">\${history.map((post) => html\`<li>\${post}</li>\`)}</ul>
<script>
const socket = document.serverSocket;
const show = (id) => (event) => (document.getElementById(id).textContent = String(event.data));
socket.addEventListener('clicked', show('clicks'));
socket.addEventListener('news', show('news'));
socket.addEventListener('failed', show('failed'));
socket.addEventListener('post', (event) => {
  const item = document.createElement('li');
  item.textContent = event.data;
  document.getElementById('posts').append(item);
});
</script>\`);
async function __serverSocketEvent(name: string, text: string) {
  if (name === 'click') return server_socket_event('clicked', ++clicks);
  try {
    await shared.push('chat', text, { max: 100 });
    page.broadcast('post', text);
  } catch (error) {
    server_socket_event('failed', (error as { code: string }).code);
  }
}`;

describe('a site on three machines: Redis and nginx', { timeout: 300_000 }, () => {
  const folder = scriptsFolder({
    'chat.ts': CHAT,
    // A page that keeps nothing in shared: it renders whether Redis is there or not.
    'hello.ts': `echo(html\`<p>Hello from \${page.node}</p>\`); function __serverSocketEvent() {}`,
  });
  let redis: RedisServer;
  let machines: ProxiedNode[];
  let nginx: Nginx;
  let browser: Browser;
  before(async () => {
    redis = await startRedis();
    machines = await Promise.all(['m1', 'm2', 'm3'].map((id) => startMachine(folder.dir, id, redis.url)));
    [nginx, browser] = await Promise.all([nginxInFront(machines), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await nginx?.stop();
    await Promise.all((machines ?? []).map(stopNode));
    await redis?.remove();
    folder.remove();
  });

  /** A tab of its own (a browser session of its own), on the chat page through nginx. */
  async function open(): Promise<{ page: Page; node: string; loads: () => number }> {
    const page = await (await browser.newContext()).newPage();
    let loads = 0;
    page.on('load', () => loads++);
    await page.goto(`${nginx.url}/chat`);
    return { page, node: (await page.textContent('#node')) ?? '', loads: () => loads };
  }

  /** A tab on each machine: nginx spreads requests round-robin, so new tabs land on each in turn. */
  async function tabOnEachMachine() {
    const tabs = new Map<string, Awaited<ReturnType<typeof open>>>();
    for (let tries = 1; tabs.size < machines.length; tries++) {
      assert.ok(tries <= 10 * machines.length, `tabs on ${[...tabs.keys()]} only`);
      const tab = await open();
      if (tabs.has(tab.node)) await tab.page.context().close();
      else tabs.set(tab.node, tab);
    }
    return tabs;
  }

  const send = (page: Page, name: string, text: string) =>
    page.evaluate(({ n, t }) => (document as unknown as ServerSocketDocument).serverSocket.send(n, t), {
      n: name,
      t: text,
    });
  const posts = (page: Page) => page.$$eval('#posts li', (items) => items.map((item) => item.textContent));
  const showing = (page: Page, id: string, text: string) =>
    page.waitForFunction(
      ({ i, t }) => document.getElementById(i)?.textContent === t,
      { i: id, t: text },
      {
        polling: 20,
      },
    );

  let tabs: Map<string, Awaited<ReturnType<typeof open>>>;

  it('pages rendered through nginx are live, on every machine', async () => {
    tabs = await tabOnEachMachine();
    assert.deepEqual([...tabs.keys()].sort(), ['m1', 'm2', 'm3']);
    for (const { page } of tabs.values()) {
      await send(page, 'click', '');
      await showing(page, 'clicks', '1');
    }
  });

  it('a chat kept with shared and page.broadcast shows each post once on every machine', async () => {
    const sent = ['from m1', 'from m2', 'from m3'];
    for (const [node, { page }] of tabs) await send(page, 'post', `from ${node}`);
    for (const { page } of tabs.values()) {
      await page.waitForFunction(() => document.querySelectorAll('#posts li').length >= 3, null, { polling: 20 });
      assert.deepEqual((await posts(page)).sort(), sent);
    }
  });

  it('wire.publish on one machine reaches a page of another', async () => {
    const m1 = machines.find((machine) => machine.id === 'm1') as ProxiedNode;
    const answer = await fetch(
      `${m1.server.url}/site/publish?channel=news&data=${encodeURIComponent('from the m1 app')}`,
    );
    assert.deepEqual(await answer.json(), { node: 'm1' });
    for (const node of ['m2', 'm3']) await showing((tabs.get(node) as { page: Page }).page, 'news', 'from the m1 app');
  });

  it('Redis restarted under traffic: no crash, shared fails clearly meanwhile, the log says so', async () => {
    const { page } = tabs.get('m2') as { page: Page };
    let rendered = 0;
    let traffic = true;
    const statuses = new Set<number>();
    // Renders through nginx all along, as browsers would send them.
    const load = (async () => {
      while (traffic) {
        const response = await fetch(`${nginx.url}/hello`, { headers: { connection: 'close' } });
        statuses.add(response.status);
        await response.arrayBuffer();
        rendered++;
      }
    })();
    await redis.stop('SIGKILL');
    await waitFor(() => machines.every((m) => m.server.output().includes('is unreachable')), 'every machine to log it');
    const before = rendered;
    await waitFor(() => rendered >= before + 5, 'renders while Redis is away');
    await send(page, 'click', '');
    await showing(page, 'clicks', '2');
    await send(page, 'post', 'during the outage');
    await showing(page, 'failed', 'SHARED_UNAVAILABLE');
    await redis.start();
    await waitFor(() => machines.every((m) => m.server.output().includes('is back after')), 'every machine back');
    traffic = false;
    await load;
    assert.deepEqual([...statuses], [200], 'every render answered');
    for (const machine of machines) assert.equal(machine.server.child.exitCode, null, `${machine.id} still runs`);
    await send(page, 'post', 'after the restart');
    for (const tab of tabs.values()) {
      await tab.page.waitForFunction(
        () => [...document.querySelectorAll('#posts li')].some((item) => item.textContent === 'after the restart'),
        null,
        { polling: 20 },
      );
      assert.ok(!(await posts(tab.page)).includes('during the outage'));
    }
  });

  it("a killed machine's page reloads onto another, with the history kept in Redis", async () => {
    const victim = tabs.get('m3') as Awaited<ReturnType<typeof open>>;
    const history = await posts(victim.page);
    (machines.find((machine) => machine.id === 'm3') as ProxiedNode).server.child.kill('SIGKILL');
    await victim.page.waitForFunction(() => document.getElementById('node')?.textContent !== 'm3', null, {
      polling: 20,
      timeout: 60_000,
    });
    assert.equal(victim.loads(), 2, 'one reload');
    // Redis was emptied by its restart: the history since is what a new render shows.
    assert.deepEqual(
      await posts(victim.page),
      history.filter((post) => post === 'after the restart'),
    );
    const survivor = tabs.get('m1') as Awaited<ReturnType<typeof open>>;
    await send(survivor.page, 'click', '');
    await showing(survivor.page, 'clicks', '2');
    assert.equal(survivor.loads(), 1);
  });
});

interface ServerSocketDocument {
  serverSocket: { send(name: string, data: unknown): void };
}

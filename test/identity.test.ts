import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';
import { pagewire } from '../lib/index.js';
import { launchBrowser } from './helpers/browser.js';
import { fakeClock } from './helpers/fake-clock.js';
import { waitFor } from './helpers/fixtures.js';
import {
  type App,
  closedHook,
  cookieOf,
  folder,
  identify,
  join,
  render,
  startApp,
  upgradeRefused,
} from './helpers/identity-app.js';
import { PATIENT, renderLive, requestJoin, startServer } from './helpers/server.js';

after(() => folder.remove());

describe('context: the app user in scripts (request.context)', () => {
  let app: App;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await app.close();
  });

  it('reaches the script as the app made it: Dates and Maps survive', async () => {
    for (const workers of [0, 1]) {
      const own = await startApp({ workers });
      try {
        const { body, status } = await render(own, '/who', 'alice');
        assert.equal(status, 200, body);
        assert.match(body, /<p id="user">alice<\/p>/);
        assert.match(body, /<p id="since">Date 2020-02-29T00:00:00.000Z<\/p>/, `workers: ${workers}`);
        assert.match(body, /<p id="roles">Map admin<\/p>/, `workers: ${workers}`);
      } finally {
        await own.close();
      }
    }
  });

  it('is what the function returned for this request: nobody signed in, null', async () => {
    const { body } = await render(app, '/who');
    assert.match(body, /<p id="context">\{"user":null\}<\/p>/);
  });

  it('is an empty object without the option', async () => {
    const own = await startApp({ context: undefined, socketMiddleware: undefined });
    try {
      assert.equal((await render(own, '/plain', 'alice')).body, 'plain: {}');
    } finally {
      await own.close();
    }
  });

  it('a context function that throws: a 500 that says so, the log says why; nothing else breaks', async () => {
    const failed = await render(app, '/who', 'alice', undefined, { 'x-context': 'throw' });
    assert.equal(failed.status, 500);
    // Outside dev, the app's error text (a database's address, a query) stays in the log.
    const generic = new RegExp(
      "^the app's context function \\(pagewire\\(\\{ context \\}\\)\\) failed for this request: " +
        'the server log has the error under request ([\\w-]+)$',
    );
    const said = generic.exec(failed.body);
    assert.ok(said, failed.body);
    const logged = app.log.lines.find((l) => l.includes(`request ${said[1]}: computing the page context failed`));
    assert.match(String(logged), /the context function threw for GET \/who: no session for you/);
    const fine = await render(app, '/who', 'alice');
    assert.equal(fine.status, 200);
    assert.match(fine.body, /<p id="user">alice<\/p>/);
  });

  it('a value that cannot be cloned, or not an object, is refused with a message saying what to return', async () => {
    const dev = await startApp({ dev: true });
    try {
      const fn = await render(dev, '/who', 'alice', undefined, { 'x-context': 'function' });
      assert.equal(fn.status, 500);
      const said = /cannot be cloned for GET \/who: context\.notify \(.*could not be cloned.*\)\. Return plain data/;
      assert.match(fn.body, said);
      const array = await render(dev, '/who', 'alice', undefined, { 'x-context': 'array' });
      assert.equal(array.status, 500);
      assert.match(array.body, /the context function must return an object, such as \{ user: req\.user \}, got \[/);
    } finally {
      await dev.close();
    }
  });

  it('in dev the 500 shows the stack of the function; with renderErrors: next the app handles it', async () => {
    const dev = await startApp({ dev: true });
    const next = await startApp({ renderErrors: 'next' });
    try {
      const inDev = await render(dev, '/who', 'alice', undefined, { 'x-context': 'throw' });
      assert.equal(inDev.status, 500);
      assert.match(
        inDev.body,
        /^ContextError: pagewire\(\{ context \}\): the context function threw[^\n]*\n\s+at context \(/,
      );
      const handled = await render(next, '/who', 'alice', undefined, { 'x-context': 'throw' });
      assert.equal(handled.status, 599);
      assert.match(handled.body, /^the app's error handler: ContextError: pagewire\(\{ context \}\)/);
    } finally {
      await dev.close();
      await next.close();
    }
  });
});

describe('socketMiddleware: identity on the page socket', () => {
  let app: App;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await app.close();
  });

  it('the same user joins, and the page works', async () => {
    const { pageId, sid } = await render(app, '/who', 'alice');
    const client = await join(app, pageId, sid, 'alice');
    await client.next((f) => f.t === 'joined' && f.p === pageId);
    client.event(pageId, 'who');
    assert.equal((await client.next((f) => f.n === 'who')).d, 'alice');
    await client.close();
  });

  it('another user on the socket: the page closes (unauthorized), its close hook runs', async () => {
    const { pageId, sid } = await render(app, '/who', 'carol');
    const client = await join(app, pageId, sid, 'bob');
    assert.deepEqual(await client.next((f) => f.t === 'closed'), { t: 'closed', p: pageId, reason: 'unauthorized' });
    assert.equal(client.frames.filter((f) => f.t === 'joined').length, 0);
    await waitFor(() => closedHook(app, 'carol').length === 1, "carol's close hook");
    // On its first join: almost surely a configuration slip, which the browser (it does not reload
    // a page that never joined) and the log, with the fields that differ, are told.
    const said = client.frames.find((f) => f.t === 'error');
    assert.equal(said?.code, 'CONTEXT_CHANGED');
    assert.match(String(said?.message), /does not reload.*socketMiddleware does not give the socket the session/);
    assert.ok(app.log.lines.some((l) => l.includes('socketMiddleware does not give') && l.includes('differ: user)')));
    await client.close();
  });

  it('signed out while the socket was down: the re-join closes the page (unauthorized)', async () => {
    const { pageId, sid } = await render(app, '/who', 'dave');
    const first = await join(app, pageId, sid, 'dave');
    await first.next((f) => f.t === 'joined');
    const away = app.wire.stats().disconnected;
    await first.close();
    await waitFor(() => app.wire.stats().disconnected === away + 1, 'the page waits for its browser');
    const again = await join(app, pageId, sid);
    assert.deepEqual(await again.next((f) => f.t === 'closed'), { t: 'closed', p: pageId, reason: 'unauthorized' });
    await waitFor(() => closedHook(app, 'dave').length === 1, "dave's close hook");
    await again.close();
  });

  it('a middleware that answers: the browser gets its answer, and no socket', async () => {
    const { sid } = await render(app, '/who', 'alice');
    const refused = await upgradeRefused(app, cookieOf(sid, 'blocked'));
    assert.deepEqual(refused, { status: 401, body: 'blocked by the app' });
  });

  it('next(error) and a rejected async middleware: refused with the status the error carries, and logged', async () => {
    const { sid } = await render(app, '/who', 'alice');
    assert.deepEqual(await upgradeRefused(app, cookieOf(sid, 'broken')), {
      status: 503,
      body: 'the page socket was refused: Service Unavailable',
    });
    assert.deepEqual(await upgradeRefused(app, cookieOf(sid, 'reject')), {
      status: 500,
      body: 'the page socket was refused: Internal Server Error',
    });
    const failures = app.log.lines.filter((l) => l.startsWith('error: a socketMiddleware function failed'));
    assert.equal(failures.length, 2, app.log.lines.join('\n'));
    assert.match(failures[0] as string, /the session store is down/);
    assert.match(failures[1] as string, /the async middleware rejected/);
  });

  it('a context function that throws for the socket: its joins are refused (error frame); the page lives', async () => {
    const { pageId, sid } = await render(app, '/who', 'erin');
    const client = await join(app, pageId, sid, 'explode');
    const error = await client.next((f) => f.t === 'error');
    assert.equal(error.code, 'CONTEXT_FAILED');
    assert.equal(error.p, pageId);
    // Outside dev: what failed and where to look, not the app's error text.
    const id = /^the app's context function \(pagewire\(\{ context \}\)\) failed .* under request ([\w-]+)$/.exec(
      String(error.message),
    )?.[1];
    assert.ok(id, String(error.message));
    assert.equal(error.detail, undefined);
    const logged = app.log.lines.find((l) => l.includes(`request ${id}: computing a page socket's context failed`));
    assert.match(String(logged), /the context function threw for GET \/__pagewire\/[\w-]+\/socket: no session for you/);
    // The log has the frames of the app's function, which the browser outside dev does not.
    assert.match(String(logged), /no session for you\n\s+at .*identity-app\.ts/);
    await client.close();
    const good = await join(app, pageId, sid, 'erin');
    await good.next((f) => f.t === 'joined' && f.p === pageId);
    assert.equal(closedHook(app, 'erin').length, 0);
    await good.close();
  });

  it('without socketMiddleware, the socket is not checked, and the app is told so once', async () => {
    const own = await startApp({ socketMiddleware: undefined });
    try {
      assert.equal(own.log.lines.filter((l) => l.includes('context option is set without socketMiddleware')).length, 1);
      const { pageId, sid } = await render(own, '/who', 'alice');
      const client = await join(own, pageId, sid, 'bob');
      await client.next((f) => f.t === 'joined' && f.p === pageId);
      await client.close();
    } finally {
      await own.close();
    }
  });

  it('a socketMiddleware that never finishes: refused 503 after connectTimeout, and logged', async (t) => {
    // The first upgrade passes, so the page joins and stays connected; the second one hangs. The
    // bound is then judged on a faked clock: exact, however slow the machine.
    let upgrades = 0;
    let entered: () => void = () => {};
    const hanging = new Promise<void>((resolve) => (entered = resolve));
    const hangAfterFirst = (_req: IncomingMessage, _res: ServerResponse, next: () => void) => {
      upgrades += 1;
      if (upgrades === 1) next();
      else entered();
    };
    // The patient connectTimeout of test servers: the page has all the time it needs to join first.
    const own = await startApp({ socketMiddleware: [identify, hangAfterFirst] });
    try {
      const { pageId, sid } = await render(own, '/who', 'alice');
      const first = await join(own, pageId, sid, 'alice');
      await first.next((f) => f.t === 'joined' && f.p === pageId);
      const clock = fakeClock(t, ['setTimeout']);
      const refused = upgradeRefused(own, cookieOf(sid, 'alice'));
      await hanging;
      clock.tick(PATIENT.connectTimeout);
      assert.deepEqual(await refused, { status: 503, body: 'the page socket was refused: Service Unavailable' });
      clock.restore();
      const said = `socketMiddleware did not finish within connectTimeout (${PATIENT.connectTimeout} ms)`;
      assert.ok(own.log.lines.some((l) => l.includes(said)));
      await first.close();
    } finally {
      await own.close();
    }
  });
});

describe("the socket's request is an Express request, as the render's was", () => {
  it('a context that reads req.get(), req.ip and req.query sees the same on the socket: the page joins', async () => {
    const own = await startServer(
      {
        dir: folder.dir,
        socketMiddleware: [],
        context: (req: IncomingMessage) => {
          const express = req as Request;
          return { agent: express.get('user-agent'), ip: express.ip, hasQuery: typeof express.query === 'object' };
        },
      },
      { before: [identify] },
    );
    try {
      const page = await renderLive(own.origin, '/who');
      assert.match(page.body, /<p id="context">\{"agent":"node","ip":"127\.0\.0\.1","hasQuery":true\}<\/p>/);
      // A browser sends its socket the same User-Agent as its page (`ws` sends none unless told).
      const client = await requestJoin(own.origin, page.pageId, page.cookie, { headers: { 'user-agent': 'node' } });
      await client.next((f) => f.t === 'joined' || f.t === 'error' || f.t === 'closed');
      assert.deepEqual(client.frames[0], { t: 'joined', p: page.pageId, a: 0 });
      await client.close();
    } finally {
      await own.close();
    }
  });

  it("mounted at /app: req.baseUrl and req.originalUrl on the socket are Express's, as in the render", async () => {
    const own = await startServer(
      {
        dir: folder.dir,
        socketMiddleware: [],
        context: (req: IncomingMessage) => {
          const { baseUrl, originalUrl } = req as Request;
          return { baseUrl, underBase: typeof originalUrl === 'string' && originalUrl.startsWith(`${baseUrl}/`) };
        },
      },
      { before: [identify], mount: '/app' },
    );
    try {
      const page = await renderLive(own.origin, '/app/who');
      assert.match(page.body, /<p id="context">\{"baseUrl":"\/app","underBase":true\}<\/p>/);
      const client = await requestJoin(own.origin, page.pageId, page.cookie, { base: '/app' });
      await client.next((f) => f.t === 'joined' || f.t === 'error' || f.t === 'closed');
      assert.deepEqual(client.frames[0], { t: 'joined', p: page.pageId, a: 0 });
      await client.close();
    } finally {
      await own.close();
    }
  });
});

describe('a context that differs at every request (a volatile field), in Chromium', { timeout: 180_000 }, () => {
  it('the page is closed at its first join and does not reload; the console says what to fix', async () => {
    let requests = 0;
    const own = await startApp({ context: () => ({ request: ++requests }), socketMiddleware: [] });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      // Every reload starts with a fetch of the status endpoint, at once: counted as it is called.
      await page.addInitScript(() => {
        const counted = window as unknown as { fetches: number };
        counted.fetches = 0;
        const original = window.fetch.bind(window);
        window.fetch = (...args) => {
          counted.fetches++;
          return original(...args);
        };
      });
      const told = new Promise<string>((resolve) =>
        page.on('console', (message) => message.text().includes('first join') && resolve(message.text())),
      );
      await page.goto(`${own.origin}/watched`);
      await page.waitForFunction(() => (window as unknown as { closedFor: string[] }).closedFor.length > 0);
      const seen = await page.evaluate(() => {
        const state = window as unknown as { closedFor: string[]; fetches: number };
        return { closedFor: state.closedFor, fetches: state.fetches };
      });
      assert.deepEqual(seen, { closedFor: ['unauthorized'], fetches: 0 });
      assert.match(await told, /socketMiddleware does not give the socket .* values that change from one request/);
      assert.equal(requests, 2, 'one render, one socket: no second render');
    } finally {
      await browser.close();
      await own.close();
    }
  });
});

describe('the options', () => {
  it('context must be a function, socketMiddleware a list of functions', () => {
    assert.throws(
      () => pagewire({ dir: folder.dir, workers: 0, context: 'user' as never }),
      /'context' must be a function \(req\) => \(\{ user: req\.user \}\), got 'user'/,
    );
    assert.throws(
      () => pagewire({ dir: folder.dir, workers: 0, socketMiddleware: [identify, 'session'] as never }),
      new RegExp(
        "'socketMiddleware' must be a list of \\(req, res, next\\) middleware functions.*" +
          'For example: pagewire\\(\\{ socketMiddleware: \\[session, passport\\.session\\(\\)\\] \\}\\)',
      ),
    );
  });
});

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, describe, it } from 'node:test';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { pagewire, PagewireError, type ErrorContext, type LogFields } from '../lib/index.js';
import { consoleLine } from '../lib/logger.js';
import { startPagewire } from '../lib/pagewire.js';
import { scriptsFolder, waitFor } from './helpers/fixtures.js';
import { joinPage, renderLive, startServer } from './helpers/server.js';

const folder = scriptsFolder({
  'broken.ts': `echo('x');
const y: number = (undefined as unknown as { z: number }).z;`,
  'events.ts': `echo('<p>events</p>');
function __serverSocketEvent(name: string) {
  if (name === 'throw') throw new Error('handler broke');
  if (name === 'timer') setTimeout(() => { throw new Error('timer broke'); }, 1);
  if (name === 'reject') (async () => { await null; throw new Error('nobody awaited this'); })();
}`,
  'fine.ts': `echo('fine');`,
});
after(() => folder.remove());

/** A logger that keeps each call's message and fields. */
function fieldsLogger() {
  const calls: Array<{ level: string; message: string; fields: LogFields | undefined }> = [];
  const keep = (level: string) => (message: string, fields?: LogFields) => void calls.push({ level, message, fields });
  return { calls, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

type Reported = { error: Error; context: ErrorContext };

// Both runners: the worker pool's messages cross a thread, the in-thread runner's do not.
for (const workers of [1, 0]) {
  describe(`onError and the logger's fields (workers: ${workers})`, () => {
    it('onError gets a render error, an event error and a timer error with file:line; so does the logger', async () => {
      const reported: Reported[] = [];
      const logger = fieldsLogger();
      const server = await startServer({
        dir: folder.dir,
        workers,
        logger,
        onError: (error, context) => void reported.push({ error, context }),
      });
      try {
        const res = await request(server.url).get('/broken').expect(500);
        const requestId = /request id <code>([\w-]+)<\/code>/.exec(res.text)?.[1];
        const render = reported.find((r) => r.context.code === 'RENDER_ERROR');
        assert.ok(render, JSON.stringify(reported.map((r) => r.context)));
        assert.ok(render.error instanceof PagewireError);
        assert.equal(
          render.error.message,
          "broken.ts:2:59 TypeError: Cannot read properties of undefined (reading 'z')",
        );
        assert.match(
          render.error.stack ?? '',
          /^TypeError: Cannot read properties of undefined[^\n]*\n\s+at .*broken\.ts:2:59/,
        );
        const { scriptError, ...renderContext } = render.context;
        assert.deepEqual(renderContext, {
          code: 'RENDER_ERROR',
          message: "Cannot read properties of undefined (reading 'z')",
          script: 'broken.ts',
          requestId,
          file: 'broken.ts',
          line: 2,
          column: 59,
        });
        assert.equal(scriptError?.name, 'TypeError');
        assert.match(scriptError?.frame ?? '', /> 2 \| const y: number/);
        const renderLog = logger.calls.find((call) => call.fields?.code === 'RENDER_ERROR');
        assert.deepEqual(renderLog?.fields, {
          code: 'RENDER_ERROR',
          script: 'broken.ts',
          requestId,
          file: 'broken.ts',
          line: 2,
          column: 59,
        });
        assert.equal(renderLog?.level, 'error');

        const { pageId, cookie } = await renderLive(server.url, '/events');
        const client = await joinPage(server.origin, pageId, cookie);
        client.event(pageId, 'throw');
        client.event(pageId, 'timer');
        await waitFor(
          () =>
            reported.some((r) => r.context.code === 'EVENT_ERROR') &&
            reported.some((r) => r.context.code === 'TIMER_ERROR'),
          'both errors',
        );
        const event = reported.find((r) => r.context.code === 'EVENT_ERROR') as Reported;
        assert.deepEqual(
          [event.context.script, event.context.pageId, event.context.file, event.context.line, event.context.message],
          ['events.ts', pageId, 'events.ts', 3, 'handler broke'],
        );
        assert.equal(event.error.message, `events.ts:3:${event.context.column} Error: handler broke`);
        const timer = reported.find((r) => r.context.code === 'TIMER_ERROR') as Reported;
        assert.deepEqual(
          [timer.context.script, timer.context.file, timer.context.line, timer.context.message],
          ['events.ts', 'events.ts', 4, 'timer broke'],
        );
        const eventLog = logger.calls.find((call) => call.fields?.code === 'EVENT_ERROR');
        assert.deepEqual(eventLog?.fields, {
          code: 'EVENT_ERROR',
          script: 'events.ts',
          pageId,
          file: 'events.ts',
          line: 3,
          column: event.context.column,
        });
        await client.close();
      } finally {
        await server.close();
      }
    });

    it('an onError that throws, or rejects, is logged and crashes nothing', async () => {
      const logger = fieldsLogger();
      let calls = 0;
      const throwing = await startServer({
        dir: folder.dir,
        workers,
        logger,
        onError: () => {
          calls++;
          throw new Error('the error tracker is down');
        },
      });
      const rejecting = await startServer({
        dir: folder.dir,
        workers,
        logger,
        onError: () => Promise.reject(new Error('the tracker rejected it')),
      });
      try {
        await request(throwing.url).get('/broken').expect(500);
        await request(throwing.url).get('/fine').expect(200, 'fine');
        assert.equal(calls, 1);
        await request(rejecting.url).get('/broken').expect(500);
        await waitFor(
          () => logger.calls.some((call) => call.message.includes('the tracker rejected it')),
          'the rejection logged',
        );
        const failures = logger.calls
          .filter((call) => call.fields?.code === 'ON_ERROR_FAILED')
          .map((call) => call.message);
        assert.equal(failures.length, 2, failures.join('\n'));
        assert.match(
          failures[0] as string,
          /^the onError option threw while handling RENDER_ERROR: Error: the error tracker is down/,
        );
        assert.match(
          failures[1] as string,
          /^the onError option threw while handling RENDER_ERROR: Error: the tracker rejected it/,
        );
        await request(rejecting.url).get('/fine').expect(200, 'fine');
      } finally {
        await throwing.close();
        await rejecting.close();
      }
    });
  });
}

describe('containment: process-wide listeners', () => {
  const listeners = () => ({
    exception: process.listenerCount('uncaughtException'),
    rejection: process.listenerCount('unhandledRejection'),
  });

  it('a library with workers: 0 adds no process listener, before or after a render', async () => {
    const before = listeners();
    const wire = pagewire({ dir: folder.dir, workers: 0, logger: fieldsLogger() });
    try {
      assert.deepEqual(listeners(), before);
      await request(createServer(wire.handler)).get('/fine').expect(200, 'fine');
      assert.deepEqual(listeners(), before);
    } finally {
      await wire.close();
    }
    assert.deepEqual(listeners(), before);
  });

  it('the CLI, which owns its process, listens while it runs, and stops when it closes', async () => {
    const before = listeners();
    const wire = startPagewire({ dir: folder.dir, workers: 0, logger: fieldsLogger() }, { ownsProcess: true });
    assert.deepEqual(listeners(), { exception: before.exception + 1, rejection: before.rejection + 1 });
    await wire.close();
    assert.deepEqual(listeners(), before);
  });

  it('with workers, a stray rejection is caught in its worker and reaches onError', async () => {
    const reported: ErrorContext[] = [];
    const server = await startServer({
      dir: folder.dir,
      workers: 1,
      onError: (_error, context) => void reported.push(context),
    });
    try {
      const { pageId, cookie } = await renderLive(server.url, '/events');
      const client = await joinPage(server.origin, pageId, cookie);
      client.event(pageId, 'reject');
      await waitFor(() => reported.some((context) => context.code === 'UNHANDLED_REJECTION'), 'the rejection reported');
      const rejection = reported.find((context) => context.code === 'UNHANDLED_REJECTION') as ErrorContext;
      // A sandbox's error formats its stack lazily, in a way the host cannot read: no file:line here.
      assert.equal(rejection.message, 'nobody awaited this');
      await client.close();
    } finally {
      await server.close();
    }
  });
});

describe("renderErrors: 'next'", () => {
  it("hands a failed render to the Express app's error middleware; the default is Pagewire's page", async () => {
    const handed: unknown[] = [];
    const appWith = (wire: ReturnType<typeof pagewire>) => {
      const app = express();
      app.use(wire);
      app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
        handed.push(error);
        res
          .status(503)
          .type('text')
          .send(`the app's own error page: ${(error as PagewireError).code}`);
      });
      return app;
    };
    const next = pagewire({ dir: folder.dir, renderErrors: 'next', logger: fieldsLogger() });
    const page = pagewire({ dir: folder.dir, logger: fieldsLogger() });
    try {
      await request(appWith(next)).get('/broken').expect(503, "the app's own error page: RENDER_ERROR");
      assert.equal(handed.length, 1);
      const error = handed[0] as PagewireError;
      assert.ok(error instanceof PagewireError);
      assert.equal(error.status, 500);
      assert.equal(error.expose, false);
      assert.deepEqual([error.context.file, error.context.line, error.context.script], ['broken.ts', 2, 'broken.ts']);
      await request(appWith(next)).get('/fine').expect(200, 'fine');
      // Without Express there is no `next`: Pagewire answers with its page.
      await request(createServer(next.handler))
        .get('/broken')
        .expect(500, /Something went wrong/);
      await request(appWith(page))
        .get('/broken')
        .expect(500, /Something went wrong/);
      assert.equal(handed.length, 1);
    } finally {
      await next.close();
      await page.close();
    }
  });
});

describe('the console logger', () => {
  it('prints the fields its message does not already show, after the first line', () => {
    assert.equal(consoleLine('hello'), '[pagewire] hello');
    assert.equal(
      consoleLine('events.ts:3:9 Error: handler broke (EVENT_ERROR, events.ts)\n    at x (events.ts:3:9)', {
        code: 'EVENT_ERROR',
        script: 'events.ts',
        pageId: 'AbCdEfGhIjKlMnOpQrStUv',
        file: 'events.ts',
        line: 3,
        column: 9,
      }),
      '[pagewire] events.ts:3:9 Error: handler broke (EVENT_ERROR, events.ts) · page=AbCdEf\n    at x (events.ts:3:9)',
    );
    assert.equal(
      consoleLine('counter.ts [page AbCdEf]: hi', { script: 'counter.ts', pageId: 'AbCdEfGhIjKlMnOpQrStUv' }),
      '[pagewire] counter.ts [page AbCdEf]: hi',
    );
    assert.equal(
      consoleLine('worker stopped', { code: 'WORKER_STOPPED' }),
      '[pagewire] worker stopped · code=WORKER_STOPPED',
    );
  });
});

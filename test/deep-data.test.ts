import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import express from 'express';
import { MAX_DATA_DEPTH } from '../lib/http/data-depth.js';
import { scriptsFolder } from './helpers/fixtures.js';
import { joinPage, renderLive, startServer, type TestServer } from './helpers/server.js';

/** A script that answers what it was sent, and echoes an event's data back as a push. */
const folder = scriptsFolder({
  'p.ts': `echo('ok ' + typeof request.body);
function __serverSocketEvent(name: string, data: unknown) {
  server_socket_event('echo', JSON.stringify(data).length);
}`,
});
after(() => folder.remove());

/** JSON arrays nested `depth` levels deep: `[[[…]]]`. */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

function postJson(server: TestServer, body: string): Promise<Response> {
  return fetch(`${server.url}/p`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

for (const workers of [1, 0]) {
  describe(`data nested too deep is refused where it arrives (workers: ${workers})`, () => {
    it(`a JSON body nested 5,000 (or ${MAX_DATA_DEPTH + 1}) levels: 400, not the script's RENDER_ERROR`, async () => {
      const server = await startServer({ dir: folder.dir, workers });
      try {
        for (const depth of [5000, MAX_DATA_DEPTH + 1]) {
          const refused = await postJson(server, nested(depth));
          assert.equal(refused.status, 400, `depth ${depth}`);
          assert.match(await refused.text(), /the request body nests objects and arrays more than 64 levels deep/);
        }
        const deepest = await postJson(server, nested(MAX_DATA_DEPTH));
        assert.equal(deepest.status, 200);
        assert.match(await deepest.text(), /ok object/);
        assert.ok(!server.log.lines.some((line) => line.includes('RENDER_ERROR')), server.log.lines.join('\n'));
      } finally {
        await server.close();
      }
    });

    it('a body express.json() parsed before Pagewire, nested 5,000 levels: 400, not sent to the script', async () => {
      const server = await startServer({ dir: folder.dir, workers }, { before: [express.json()] });
      try {
        const refused = await postJson(server, nested(5000));
        assert.equal(refused.status, 400);
        assert.match(await refused.text(), /the request body nests objects and arrays more than 64 levels deep/);
        assert.equal((await postJson(server, '{"a": [1]}')).status, 200);
      } finally {
        await server.close();
      }
    });

    it('an event whose data is nested 5,000 levels: an error frame, and the socket keeps serving', async () => {
      const server = await startServer({ dir: folder.dir, workers });
      try {
        const { pageId, cookie } = await renderLive(server.url, '/p');
        const client = await joinPage(server.origin, pageId, cookie);
        client.send(`{"t":"ev","p":"${pageId}","s":1,"n":"deep","d":${nested(5000)}}`);
        const refused = await client.next((f) => f.code === 'BAD_MESSAGE');
        assert.match(String(refused.message), /the event's data 'd' nests objects and arrays more than 64 levels deep/);
        client.event(pageId, 'flat', { a: [1] });
        await client.next((f) => f.t === 'push' && f.n === 'echo');
        await client.close();
        assert.ok(
          !server.log.lines.some((line) => /Maximum call stack|crashed/.test(line)),
          server.log.lines.join('\n'),
        );
      } finally {
        await server.close();
      }
    });
  });
}

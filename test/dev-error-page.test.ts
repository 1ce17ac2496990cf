import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { scriptsFolder } from './helpers/fixtures.js';
import { SocketClient, startServer, testWorkers } from './helpers/server.js';

const folder = scriptsFolder({ 'slow.ts': `await new Promise(() => {}); echo('never');` });

describe('the dev error page of a render that timed out', () => {
  after(() => folder.remove());

  it('stays joined: the timed-out page closing later does not end it (it has an id of its own)', async () => {
    const server = await startServer({ dir: folder.dir, dev: true, renderTimeout: 100, ...testWorkers() });
    try {
      const response = await fetch(`${server.url}/slow`);
      const body = await response.text();
      assert.equal(response.status, 500);
      assert.match(body, /RENDER_TIMEOUT/);
      const pageId = /data-pagewire-page="([^"]+)"/.exec(body)?.[1] as string;
      const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
      const client = await SocketClient.connect(server.origin, cookie);
      client.send({ t: 'join', p: pageId, a: 0 });
      assert.equal((await client.next((frame) => frame.p === pageId)).t, 'joined');
      // Then a ping: its pong comes after anything the server had to say about the page.
      client.send({ t: 'ping' });
      await client.next((frame) => frame.t === 'pong');
      assert.deepEqual(
        client.frames.filter((frame) => frame.p === pageId).map((frame) => frame.t),
        ['joined'],
      );
      await client.close();
    } finally {
      await server.close();
    }
  });
});

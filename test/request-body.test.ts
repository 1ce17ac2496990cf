import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { pagewire, type Pagewire } from '../lib/index.js';
import { memoryLogger, scriptsFolder } from './helpers/fixtures.js';

const folder = scriptsFolder({
  'body.ts': `response.headers['content-type'] = 'application/json';
echo(JSON.stringify({ body: request.body ?? null }));`,
});
after(() => folder.remove());

const LIMIT = 1024;
/** Sends a Buffer's bytes as they are (superagent would turn it into JSON or form fields). */
const asIs = (body: unknown) => body as string;

describe('request bodies (raw-body + content-type), on a real server', () => {
  let wire: Pagewire;
  let app: express.Express;
  before(() => {
    // Scripts in this thread: what is tested is the host's reading of the body.
    wire = pagewire({ dir: folder.dir, workers: 0, maxBodyBytes: LIMIT, logger: memoryLogger() });
    app = express();
    app.use(wire);
  });
  after(() => wire.close());

  const post = (type: string, body: Buffer, encoding?: string) => {
    const req = request(app).post('/body').set('content-type', type);
    if (encoding) req.set('content-encoding', encoding);
    return req.serialize(asIs).send(body);
  };
  const bodyOf = (res: { body: unknown }) => (res.body as { body: unknown }).body;

  it('decodes a form in its charset: latin1 escapes and bytes, UTF-8 by default', async () => {
    const latin1 = 'application/x-www-form-urlencoded; charset=ISO-8859-1';
    const escaped = await post(latin1, Buffer.from('name=%E9t%E9&city=Z%FCrich&city=K%F6ln&sum=1+1')).expect(200);
    assert.deepEqual(bodyOf(escaped), { name: 'été', city: ['Zürich', 'Köln'], sum: '1 1' });
    const raw = await post(latin1, Buffer.from('name=été', 'latin1')).expect(200);
    assert.deepEqual(bodyOf(raw), { name: 'été' });
    const utf8 = await post('application/x-www-form-urlencoded', Buffer.from('name=%C3%A9t%C3%A9&flag')).expect(200);
    assert.deepEqual(bodyOf(utf8), { name: 'été', flag: '' });
  });

  it('decodes JSON and text in their charset', async () => {
    const latin1 = Buffer.from('{"name":"Zürich"}', 'latin1');
    const json = await post('application/json; charset=latin1', latin1).expect(200);
    assert.deepEqual(bodyOf(json), { name: 'Zürich' });
    const utf16 = await post('text/plain; charset=utf-16le', Buffer.from('héllo', 'utf16le')).expect(200);
    assert.equal(bodyOf(utf16), 'héllo');
    const utf8 = await post('application/problem+json', Buffer.from('{"title":"été"}')).expect(200);
    assert.deepEqual(bodyOf(utf8), { title: 'été' });
  });

  it('undoes gzip, deflate and br', async () => {
    const json = Buffer.from(JSON.stringify({ zipped: 'gzip ✓' }));
    const gzipped = await post('application/json', gzipSync(json), 'gzip').expect(200);
    assert.deepEqual(bodyOf(gzipped), { zipped: 'gzip ✓' });
    const form = Buffer.from('a=1&b=%C3%A9');
    assert.deepEqual(
      bodyOf(await post('application/x-www-form-urlencoded', deflateSync(form), 'deflate').expect(200)),
      {
        a: '1',
        b: 'é',
      },
    );
    const text = Buffer.from('brotli, in latin1: é', 'latin1');
    assert.equal(
      bodyOf(await post('text/plain; charset=latin1', brotliCompressSync(text), 'br').expect(200)),
      'brotli, in latin1: é',
    );
    const identity = await post('application/json', Buffer.from('{"plain":true}'), 'identity').expect(200);
    assert.deepEqual(bodyOf(identity), { plain: true });
  });

  it('refuses a body over maxBodyBytes with 413, counted after decompression', async () => {
    const large = Buffer.from(`a=${'x'.repeat(LIMIT)}`);
    const plain = await post('application/x-www-form-urlencoded', large).expect(413);
    assert.equal(plain.text, `the request body is larger than ${LIMIT} bytes (maxBodyBytes)`);
    assert.equal(plain.headers.connection, 'close');
    // 100 KiB of zeros gzip to about 100 bytes: under the limit as sent, far over it inflated.
    const bomb = gzipSync(Buffer.alloc(100 * 1024));
    assert.ok(bomb.length < LIMIT);
    await post('text/plain', bomb, 'gzip').expect(413, `the request body is larger than ${LIMIT} bytes (maxBodyBytes)`);
    // The server goes on serving.
    assert.deepEqual(bodyOf(await post('application/json', Buffer.from('{"after":1}')).expect(200)), { after: 1 });
  });

  it('refuses an unknown Content-Encoding or charset with 415, and broken compressed data with 400', async () => {
    const json = Buffer.from('{"a":1}');
    await post('application/json', json, 'compress').expect(
      415,
      "the request body's Content-Encoding 'compress' is not supported: send gzip, deflate, br or identity",
    );
    await post('application/json; charset=klingon', json).expect(
      415,
      "the request body's charset 'klingon' is not supported: send it as utf-8",
    );
    await post('application/json', json, 'constructor').expect(415, /Content-Encoding 'constructor' is not supported/);
    await post('application/json', json, 'gzip').expect(400, /^the request body is not valid gzip data: /);
    await post('application/json', Buffer.from('{oops')).expect(400, /not valid JSON/);
    // A Content-Type that is no media type is read as text, as Express's own parsers do.
    const odd = await request(app).post('/body').set('content-type', 'not a type').send('x').expect(200);
    assert.equal(bodyOf(odd), 'x');
  });

  it('takes a body an earlier Express middleware parsed as it is, and does not read it again', async () => {
    const parsed = express();
    parsed.use(express.json());
    parsed.use(wire);
    const viaJson = await request(parsed).post('/body').send({ pre: 'parsed' }).expect(200);
    assert.deepEqual(bodyOf(viaJson), { pre: 'parsed' });
    // express.json() reads a gzip body itself; Pagewire gets what it made of it.
    const zipped = await request(parsed)
      .post('/body')
      .set('content-type', 'application/json')
      .set('content-encoding', 'gzip')
      .serialize(asIs)
      .send(gzipSync(Buffer.from('{"zipped":true}')))
      .expect(200);
    assert.deepEqual(bodyOf(zipped), { zipped: true });
    // A middleware that sets req.body without reading the stream: Pagewire does not read it either.
    const custom = express();
    custom.use((req, _res, next) => {
      req.body = { from: 'middleware' };
      next();
    });
    custom.use(wire);
    const kept = await request(custom)
      .post('/body')
      .set('content-type', 'application/json')
      .send('{"sent":1}')
      .expect(200);
    assert.deepEqual(bodyOf(kept), { from: 'middleware' });
    // A form that express.json() did not parse is read by Pagewire.
    const form = await request(parsed).post('/body').type('form').send('a=1').expect(200);
    assert.deepEqual(bodyOf(form), { a: '1' });
  });

  it('reads the same bodies on node:http alone', async () => {
    const server = createServer(wire.handler);
    const res = await request(server)
      .post('/body')
      .set('content-type', 'application/x-www-form-urlencoded; charset=latin1')
      .set('content-encoding', 'gzip')
      .serialize(asIs)
      .send(gzipSync(Buffer.from('ville=Z%FCrich')))
      .expect(200);
    assert.deepEqual(bodyOf(res), { ville: 'Zürich' });
  });
});

// The browser client's figures: its gzipped size (issue 15's target: at most 15 KB, morphing
// included), and the bytes a page.view update sends, edits or whole (runner/sandbox/prelude/
// view-diff.ts), each against a baseline measured in this run.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { WebSocket } from 'ws';
import { textHash } from '../protocol/view-edits.js';
import type { DomOp } from '../protocol/wire.js';
import { viewEdits } from '../runner/sandbox/prelude/view-diff.js';
import { startServer } from '../test/helpers/server.js';
import { judgeRatio, judgeValue, type Figure } from './figures.js';

const root = path.join(import.meta.dirname, '..');
const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

export async function clientFigures(updates: number): Promise<Figure[]> {
  return [await clientSize(), ...(await viewUpdateBytes(updates))];
}

/** The served client (npm run bench bundles it first) against idiomorph alone, bundled the same way. */
async function clientSize(): Promise<Figure> {
  const client = gzipSync(readFileSync(path.join(root, 'dist/client/server-socket.iife.js'))).length;
  const { outputFiles } = await build({
    stdin: { contents: "import { Idiomorph } from 'idiomorph'; globalThis.Idiomorph = Idiomorph;", resolveDir: root },
    bundle: true,
    minify: true,
    keepNames: true,
    format: 'iife',
    target: 'es2022',
    write: false,
  });
  const idiomorph = gzipSync(outputFiles[0]?.contents ?? new Uint8Array()).length;
  return {
    name: 'browser client, minified and gzipped, morphing included (/__pagewire/client.js)',
    value: kb(client),
    unit: 'KB',
    baseline: { name: 'idiomorph alone, bundled the same way, KB', value: kb(idiomorph) },
    ratio: judgeRatio(client, idiomorph).ratio,
    target: '<= 15 KB',
    verdict: judgeValue(client, { is: 'at most', limit: 15 * 1024 }),
  };
}

type Frame = { t: string; s?: number; n?: string; d?: unknown; p?: string };

/**
 * A real socket client on the views page (bench/scripts/views.ts): each update's `pw:dom` frame,
 * in bytes as received, against the whole view of the same state, which the client then asks for
 * (`pw:view`, as a browser whose edits did not apply does) and receives as a frame too.
 */
async function viewUpdateBytes(updates: number): Promise<Figure[]> {
  const server = await startServer({ dir: path.join(import.meta.dirname, 'scripts'), workers: 0 });
  try {
    const response = await fetch(`${server.url}/views`);
    const body = await response.text();
    const pageId = /data-pagewire-page="([^"]+)"/.exec(body)?.[1] as string;
    const socket = /data-pagewire-socket="([^"]+)"/.exec(body)?.[1] as string;
    const [todoId, counterId] = [...body.matchAll(/<pw-view id="([^"]+)"/g)].map((match) => match[1] as string);
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const client = new WebSocket(`${server.url.replace('http', 'ws')}${socket}`, {
      headers: { cookie, origin: server.origin },
      perMessageDeflate: false,
    });
    const frames: Array<{ bytes: number; frame: Frame }> = [];
    const waiting = new Map<number, () => void>();
    client.on('message', (data: Buffer) => {
      const frame = JSON.parse(String(data)) as Frame;
      if (frame.t === 'push' && frame.n === 'pw:dom') frames.push({ bytes: data.length, frame });
      if (frame.t === 'done' && frame.s !== undefined) waiting.get(frame.s)?.();
    });
    await new Promise((resolve) => client.once('open', resolve));
    client.send(JSON.stringify({ t: 'join', p: pageId, a: 0 }));
    let seq = 0;
    /** Sends an event; its `pw:dom` frame, once the server said it handled it. */
    const event = async (n: string, d: unknown) => {
      const s = ++seq;
      const handled = new Promise<void>((resolve) => waiting.set(s, resolve));
      const before = frames.length;
      client.send(JSON.stringify({ t: 'ev', p: pageId, s, n, d }));
      await handled;
      const sent = frames.slice(before);
      if (sent.length !== 1) {
        throw new Error(`event ${n}: ${sent.length} pw:dom frames, not 1\n${server.log.lines.join('\n')}`);
      }
      return sent[0] as { bytes: number; frame: Frame };
    };
    const op = (sent: { frame: Frame }) => (sent.frame.d as DomOp[])[0] as Extract<DomOp, { op: 'view' }>;
    // The first update of a view goes whole: the browser holds no base before it.
    await event('toggle', { i: 0 });
    let counterHtml = (op(await event('count', null)) as { html: string }).html;
    const todo = { edits: [] as number[], whole: [] as number[] };
    const counter = { sent: [] as number[], edits: [] as number[] };
    for (let k = 1; k <= updates; k++) {
      const edited = await event('toggle', { i: (k * 37) % 200 });
      if (!('edits' in op(edited))) throw new Error('a toggled todo item went whole, not as edits');
      todo.edits.push(edited.bytes);
      todo.whole.push((await event('pw:view', { id: todoId })).bytes);
      const sent = await event('count', null);
      const next = op(sent);
      if (!('html' in next)) throw new Error("the counter's update went as edits, not whole");
      counter.sent.push(sent.bytes);
      // The same update as edits, which the prelude did not send, in the same frame.
      const edits = viewEdits(counterHtml, next.html) ?? [];
      const asEdits = { ...sent.frame, d: [{ op: 'view', id: counterId, edits, hash: textHash(next.html) }] };
      counter.edits.push(Buffer.byteLength(JSON.stringify(asEdits)));
      counterHtml = next.html;
    }
    client.close();
    return [
      {
        name: 'bytes per page.view update, a 200-item todo list, one item toggled (its pw:dom frame)',
        value: median(todo.edits),
        unit: `B (median of ${updates}: edits of the HTML the browser last received)`,
        baseline: { name: 'the whole view of the same state, B', value: median(todo.whole) },
        ...judgeRatio(median(todo.edits), median(todo.whole)),
      },
      {
        name: 'bytes per page.view update, a one-line counter (its pw:dom frame)',
        value: median(counter.sent),
        unit: `B (median of ${updates}: the whole view, smaller here)`,
        baseline: { name: 'the same update as edits, B', value: median(counter.edits) },
        ...judgeRatio(median(counter.sent), median(counter.edits)),
      },
    ];
  } finally {
    await server.close();
  }
}

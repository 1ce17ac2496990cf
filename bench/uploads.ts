// Upload throughput: a file sent over a live page's socket (`pw-upload`, the real browser client
// running in Node, in chunks with its window) against a plain multipart POST of the same file to
// the same server (busboy), in the same run. Both end when the server has written and hashed
// every byte. `node --import tsx bench/uploads.ts [MB] [rounds]` runs it alone.
import { randomBytes } from 'node:crypto';
import { startServer } from '../test/helpers/server.js';
import { nodeServerSocket } from '../test/helpers/node-client.js';
import { scriptsFolder } from '../test/helpers/fixtures.js';
import { judgeRatio, type Figure } from './figures.js';

const SCRIPTS = {
  'live.ts': `page.allowUpload('file', { onFile(file) { server_socket_event('file', file.sha256); } });
echo('<p>live</p>');`,
  'post.ts': `echo(request.files.file?.[0]?.sha256 ?? 'none');`,
};

export interface UploadFigures {
  bytes: number;
  /** Bytes per second, the best of the rounds. */
  socket: number;
  post: number;
}

export async function measureUploads(bytes: number, rounds: number): Promise<UploadFigures> {
  const folder = scriptsFolder(SCRIPTS);
  const server = await startServer({ dir: folder.dir, maxUploadFileBytes: bytes + 1 });
  const data = randomBytes(bytes);
  const file = new File([data], 'bench.bin', { type: 'application/octet-stream' });
  let socket = 0;
  let post = 0;
  try {
    // Warmed up: each script compiled, its worker started, before anything is timed.
    const small = new File([data.subarray(0, 1000)], 'warm.bin');
    await timePost(server.url, small);
    await timeSocket(server.url, small);
    for (let round = 0; round < rounds; round++) {
      post = Math.max(post, await timePost(server.url, file));
      socket = Math.max(socket, await timeSocket(server.url, file));
    }
  } finally {
    await server.close();
    folder.remove();
  }
  return { bytes, socket, post };
}

async function timePost(base: string, file: File): Promise<number> {
  const form = new FormData();
  form.append('file', file);
  const start = performance.now();
  const response = await fetch(`${base}/post`, { method: 'POST', body: form });
  const text = await response.text();
  if (response.status !== 200 || text.length !== 64) throw new Error(`POST answered ${response.status}: ${text}`);
  return file.size / ((performance.now() - start) / 1000);
}

async function timeSocket(base: string, file: File): Promise<number> {
  const response = await fetch(`${base}/live`);
  const html = await response.text();
  const pageId = /data-pagewire-page="([^"]+)"/.exec(html)?.[1] as string;
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const socket = nodeServerSocket(base, pageId, cookie);
  await new Promise((resolve) => socket.addEventListener('open', resolve, { once: true }));
  const hashed = new Promise((resolve) => socket.addEventListener('file', resolve, { once: true }));
  const start = performance.now();
  await socket.upload('file', [file]);
  await hashed;
  const perSecond = file.size / ((performance.now() - start) / 1000);
  socket.close();
  return perSecond;
}

/** The bench's row: the socket's throughput against the POST's, as a ratio. */
export function uploadFigure({ bytes, socket, post }: UploadFigures): Figure {
  const mb = (perSecond: number) => Math.round(perSecond / 1e5) / 10;
  return {
    name: `upload throughput, ${Math.round(bytes / 1e6)} MB file over pw-upload`,
    value: mb(socket),
    unit: 'MB/s',
    baseline: { name: 'plain multipart POST of the same file, same server', value: mb(post) },
    ...judgeRatio(socket, post),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const megabytes = Number(process.argv[2] ?? 50);
  const rounds = Number(process.argv[3] ?? 3);
  const figures = await measureUploads(megabytes * 1e6, rounds);
  console.log(JSON.stringify(uploadFigure(figures)));
}

// A live page rendered for a load client: its page id, session cookie and socket path (which names
// the page's node, its process: read from the page, as the client does), and its HTML.
import http from 'node:http';

export interface LivePage {
  pageId: string;
  cookie: string;
  socket: string;
  body: string;
}

export function renderLivePage(url: string, agent: http.Agent): Promise<LivePage> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => {
          const pageId = /data-pagewire-page="([^"]+)"/.exec(body)?.[1];
          const cookie = String(res.headers['set-cookie'] ?? '').split(';')[0] as string;
          const socket = /data-pagewire-socket="([^"]+)"/.exec(body)?.[1];
          if (!pageId || !socket) reject(new Error(`no live page at ${url}: ${res.statusCode} ${body.slice(0, 200)}`));
          else resolve({ pageId, cookie, socket, body });
        });
      })
      .on('error', reject);
  });
}

import { readFileSync } from 'node:fs';
import https from 'node:https';

export interface HttpsAnswer {
  status: number;
  setCookie: string[];
  body: string;
}

/**
 * GET over TLS on a connection of its own, trusting the test's own certificate (`certFile`,
 * PEM): what a browser of an HTTPS site sends, with its cookie when given.
 */
export function httpsGet(url: string, certFile: string, cookie?: string): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const headers = cookie ? { cookie } : {};
    https
      .get(url, { ca: readFileSync(certFile), headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [], body }));
      })
      .on('error', reject);
  });
}

// One machine of a site on several machines, as the README's "Running on several machines"
// shows it: an Express app that mounts Pagewire with its own node id and the site's Redis, behind
// a proxy (trustProxy). Its own route `/site/publish?channel=&data=` calls `wire.publish`, so a test
// can publish on one machine and watch a page of another. Run by the tests as
// `node --import tsx machine-app.ts <scripts folder> <node id> <redis URL> <port>`; prints
// `node <id> listening on <port>` once it listens. PAGEWIRE_SESSION_SECRET: the site's key.
import express from 'express';
import { pagewire } from '../../lib/index.js';

const [dir, node, redis, port] = process.argv.slice(2) as [string, string, string, string];
const wire = pagewire({
  dir,
  node,
  redis,
  trustProxy: true,
  sessionSecret: process.env.PAGEWIRE_SESSION_SECRET,
  // As long as a test takes: pages wait for their browser, not for the clock.
  connectTimeout: 600_000,
  disconnectTimeout: 600_000,
});
await wire.ready();
const app = express();
app.get('/site/publish', (req, res) => {
  wire.publish(String(req.query.channel), String(req.query.data));
  res.json({ node: wire.options.node });
});
app.get('/site/stats', (_req, res) => {
  res.json(wire.stats());
});
app.use(wire);
const server = app.listen(Number(port), '127.0.0.1', () => {
  const address = server.address();
  console.log(`node ${node} listening on ${typeof address === 'object' && address ? address.port : port}`);
});
wire.attach(server);
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void wire.close().then(() => process.exit(0));
});

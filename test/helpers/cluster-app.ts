// An Express app that serves with the app's own cluster set-up, as the README shows: the primary
// branch calls `clusterPrimary`, every other process mounts Pagewire at /app and listens. Run by
// test/cluster-express.test.ts: `node --import tsx cluster-app.ts <scripts folder>`; the primary
// prints the port the processes share.
import cluster from 'node:cluster';
import express from 'express';
import { clusterPrimary, pagewire } from '../../lib/index.js';

const dir = process.argv[2] as string;
if (cluster.isPrimary) {
  const primary = clusterPrimary({ processes: 2 });
  const { port } = await primary.listening;
  console.log(`listening on ${port}`);
  process.once('SIGTERM', () => void primary.stop().then(() => process.exit(0)));
} else {
  const app = express();
  const wire = pagewire({ dir });
  app.get('/who', (_req, res) => {
    res.json({ pid: process.pid, node: wire.options.node });
  });
  app.use('/app', wire);
  const server = app.listen(0, '127.0.0.1');
  wire.attach(server);
  // Draining, as an app may: the process stops taking connections, its open sockets go on.
  process.once('SIGUSR2', () => {
    cluster.worker?.once('disconnect', () => console.log(`process ${wire.options.node} disconnected`));
    cluster.worker?.disconnect();
  });
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void wire.close().then(() => process.exit(0));
  });
}

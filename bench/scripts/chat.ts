// The cluster benchmarks' page: a chat. A post is kept in the list every page shares, then
// broadcast to every live page of the script, on every process. The page says where it lives
// (its node, its process) and whether this server has `shared` (the bench falls back to the
// broadcast alone without it, and says so).
const hasShared = typeof shared !== 'undefined';
echo(html`<p id="node">${page.node}</p><p id="pid">${process.pid}</p><p id="shared">${hasShared}</p>`);

async function __serverSocketEvent(name: string, post: unknown) {
  if (name !== 'post') return;
  if (hasShared) await shared.push('chat', post, { max: 100 });
  page.broadcast('post', post);
}

// The cluster benchmarks' page: a chat. A post is kept in the list every page shares, then
// broadcast to every live page of the script, on every process. The page says where it lives
// (its node, its process).
echo(html`<p id="node">${page.node}</p><p id="pid">${process.pid}</p>`);

async function __serverSocketEvent(name: string, post: unknown) {
  if (name !== 'post') return;
  await shared.push('chat', post, { max: 100 });
  page.broadcast('post', post);
}

// State lives in the script's own variables: each open page has its own `count`.
import { layout } from './_layout.ts';

let count = Number(request.query.start ?? 0) || 0;

echo(
  layout(
    'Counter',
    html`<h1>Counter</h1>
<p>Count: <output id="count">${count}</output></p>
<button id="decrement">−1</button> <button id="increment">+1</button>
<p>Open this page in two tabs: each tab counts on its own.</p>
<script>
  const show = (event) => { document.getElementById('count').textContent = event.data; };
  document.serverSocket.addEventListener('count', show);
  document.getElementById('increment').onclick = () => document.serverSocket.send('add', 1);
  document.getElementById('decrement').onclick = () => document.serverSocket.send('add', -1);
</script>`,
  ),
);

function __serverSocketEvent(name: string, event: unknown) {
  if (name === 'add' && (event === 1 || event === -1)) {
    count += event;
    server_socket_event('count', count);
  }
}

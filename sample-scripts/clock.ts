// The server pushes the time every second from a per-page timer. When the page dies (tab
// closed, or page.close()), Pagewire clears the timer and runs the close hook.
import { layout } from './_layout.ts';

const started = new Date();
let ticks = 0;

echo(
  layout(
    'Clock',
    html`<h1>Server clock</h1>
<p>The server says: <time id="now">${started.toISOString()}</time></p>
<p>Ticks pushed to this page: <output id="ticks">0</output></p>
<script>
  document.serverSocket.addEventListener('tick', (event) => {
    document.getElementById('now').textContent = event.data.now;
    document.getElementById('ticks').textContent = event.data.ticks;
  });
</script>`,
  ),
);

setInterval(() => {
  ticks++;
  server_socket_event('tick', { now: new Date().toISOString(), ticks });
}, 1000);

page.onClose(() => console.log(`clock stopped after ${ticks} ticks`));

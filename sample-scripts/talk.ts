// A page that talks to a separate script: `new ServerSocket(path)` starts an instance of
// room/[name].ts for this page, on its one socket, with the same delivery as
// document.serverSocket (queued while the socket is down, exactly once, in order).
import { layout } from './_layout.ts';

echo(
  layout(
    'Talk',
    html`<h1>Talk</h1>
<div id="room"></div>
<ul id="said"></ul>
<form id="say"><input id="text" placeholder="Say something" maxlength="500" required> <button>Say</button></form>
<script nonce="${request.nonce ?? ''}">
  const room = new ServerSocket('room/lobby');
  room.ready.then(() => { document.getElementById('room').innerHTML = room.html; });
  room.addEventListener('said', (event) => {
    const item = document.createElement('li');
    item.textContent = event.data.text;
    document.getElementById('said').append(item);
  });
  document.getElementById('say').onsubmit = (event) => {
    event.preventDefault();
    room.send('say', { text: document.getElementById('text').value });
    document.getElementById('text').value = '';
  };
</script>`,
  ),
);

// This page has no events of its own; defining the hook keeps it live, so that it has a socket.
function __serverSocketEvent() {}

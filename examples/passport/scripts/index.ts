// GET /: the signed-in user's page. The user comes from the app (server.ts's `context` option);
// server.ts lets only signed-in users here.
const { user } = request.context;
let pings = 0;

echo(html`<!doctype html>
<title>Pagewire + passport</title>
<p>Signed in as <strong id="user">${user?.name}</strong>.</p>
<form method="post" action="/logout"><button id="logout">Log out</button></form>
<p><button id="ping">Ping</button> <output id="pong"></output></p>
<form method="post" action="/announce"><input name="text"> <button>Announce to everyone</button></form>
<ul id="announcements"></ul>
<script>
  const socket = document.serverSocket;
  document.getElementById('ping').onclick = () => socket.send('ping');
  socket.addEventListener('pong', (event) => (document.getElementById('pong').textContent = event.data));
  socket.addEventListener('announcement', (event) => {
    const item = Object.assign(document.createElement('li'), { textContent: event.data });
    document.getElementById('announcements').append(item);
  });
</script>`);

// What the app publishes (server.ts's POST /announce calls wire.publish) reaches this page.
page.channel('announcements').subscribe((text) => server_socket_event('announcement', text));
// Runs when the page dies, a logout elsewhere included.
page.onClose(() => console.log(`page ${page.id} of ${user?.id} closed`));

function __serverSocketEvent(name: string) {
  if (name === 'ping') server_socket_event('pong', `pong ${++pings} for ${user?.name}`);
}

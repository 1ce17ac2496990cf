// The benchmark page: a small live page (~700 bytes), the size of a typical server-rendered view.
const items = ['render', 'event', 'push', 'close'];
echo(html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Pagewire benchmark page</title></head>
<body>
<h1>Hello ${request.query.name ?? 'world'}</h1>
<p>This page stays wired to the script instance that rendered it.</p>
<ul>${items.map((item) => html`<li>${item}</li>`)}</ul>
<input id="test" type="button" value="Click me">
<script>
  document.getElementById('test').onclick = () => document.serverSocket.send('test_click');
  document.serverSocket.addEventListener('message', (event) => console.log(String(event)));
</script>
</body>
</html>`);

function __serverSocketEvent(name: string, event: unknown) {
  if (name === 'echo') server_socket_event('echo', event);
  if (name === 'test_click') server_socket_event('message', 'You clicked the button');
}

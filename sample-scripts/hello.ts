// The example of the 2008 proposal that started Pagewire: the page raises `test_click` on
// the server, and the script that rendered the page answers with a `message` event.
echo(html`<h1>Hello ${request.query.name ?? 'world'}</h1>
<input id="test" type="button" value="Click me">
<script>
  document.getElementById('test').onclick = () => document.serverSocket.send('test_click');
  document.serverSocket.addEventListener('message', alert);
</script>`);

function __serverSocketEvent(name: string, event: unknown) {
  if (name === 'test_click') server_socket_event('message', 'You clicked the button');
}

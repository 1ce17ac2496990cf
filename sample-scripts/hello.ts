// sample-scripts/hello.ts -> GET /hello
echo(html`<h1>Hello ${request.query.name ?? 'world'}</h1>
<input id="test" type="button" value="Click me">
<script>
  document.getElementById('test').onclick = () => document.serverSocket.send('test_click');
  document.serverSocket.addEventListener('message', alert);
</script>`);

// Page state: one copy per rendered page, alive as long as the page.
let clicks = 0;

function __serverSocketEvent(name: string, event: unknown) {
  if (name === 'test_click') server_socket_event('message', `You clicked the button (${++clicks})`);
}

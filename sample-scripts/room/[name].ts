// A chat room as a separate script: talk.ts opens one with `new ServerSocket('room/lobby')`, an
// instance of this script for that page, on the page's own socket. Outside talk.ts it is a page too.
const room = String(request.params.name);

echo(html`<h2>Room ${room}</h2>`);

page.channel(`room:${room}`).subscribe((said) => server_socket_event('said', said));

function __serverSocketEvent(name: string, data: unknown) {
  const text = String((data as { text?: unknown }).text ?? '').slice(0, 500);
  if (name === 'say' && text.trim() !== '') page.channel(`room:${room}`).publish({ room, text });
}

// The scale benchmark's page: live and idle; one event makes it broadcast to every page of this script.
echo('<p>idle</p>');

function __serverSocketEvent(name: string, event: unknown) {
  if (name === 'broadcast') page.broadcast('news', event);
}

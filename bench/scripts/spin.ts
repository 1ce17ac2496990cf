// The runaway script of the worker benchmark: one event and it never yields its worker.
echo('<p>spin</p>');

function __serverSocketEvent(name: string) {
  if (name === 'spin') while (true) {}
}

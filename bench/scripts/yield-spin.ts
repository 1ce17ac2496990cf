// The yielding hog of the worker benchmark: busy 5 ms, then it yields, until its page closes. The
// watchdog never sees it (its worker answers between slices); new renders should not go there.
echo('<p>yield-spin</p>');
let spinning = true;
page.onClose(() => {
  spinning = false;
});

async function __serverSocketEvent(name: string) {
  if (name !== 'spin') return;
  for (let i = 1; spinning; i++) {
    const until = Date.now() + 5;
    while (Date.now() < until) {}
    await new Promise((resolve) => setImmediate(resolve));
    if (i === 50) server_socket_event('spinning');
  }
}

// The components benchmark's component: live and idle, as idle.ts is, and as small.
echo('<p>tile</p>');

function __serverSocketEvent() {}

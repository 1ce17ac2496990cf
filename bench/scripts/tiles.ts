// The components benchmark's page: four live components (tile.ts), each a page owned by this one.
echo('<p>tiles</p>');
for (let i = 0; i < 4; i++) echo(await include('/tile'));

function __serverSocketEvent() {}

// A live component (see dashboard.ts): the list of chat rooms, kept in `shared` (every page of the
// site sees it) and announced on a channel, so that every open list shows a new room at once.
const ROOMS = 'rooms:list';
let rooms = await shared.list<string>(ROOMS);

echo(
  page.view(
    () => html`<div class="rooms"><ul>${rooms.map((room) => html`<li><a href="room/${room}">${room}</a></li>`)}</ul>
<form pw-submit="create"><input name="room" placeholder="New room" maxlength="30" required>
<button>Create</button></form></div>`,
  ),
);

page.channel('rooms').subscribe(async () => {
  rooms = await shared.list<string>(ROOMS);
});

async function __serverSocketEvent(name: string, data: unknown) {
  const room = String((data as { room?: unknown }).room ?? '')
    .trim()
    .replace(/[^\w-]/g, '-')
    .slice(0, 30);
  if (name !== 'create' || room === '' || rooms.includes(room)) return;
  await shared.push(ROOMS, room, { max: 100 });
  page.channel('rooms').publish(room);
}

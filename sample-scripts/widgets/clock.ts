// A live component (see dashboard.ts): its own instance, its own timer. `page.view` follows the
// state: each tick changes `now`, and the view is sent again. Ended with the page that included it.
let now = new Date();
let ticks = 0;

echo(
  page.view(
    () => html`<p class="clock">Server time <time>${now.toISOString().slice(11, 19)}</time>
<small>(<output class="ticks">${ticks}</output> ticks)</small></p>`,
  ),
);

setInterval(() => {
  now = new Date();
  ticks++;
}, 1000);

// The server shows the time every second from a per-page timer: the view is rendered again after
// each timer callback, with no client code. When the page dies (tab closed, or page.close()),
// Pagewire clears the timer and runs the close hook.
import { layout } from './_layout.ts';

let now = new Date();
let ticks = 0;

const view = page.view(
  () => html`<p>The server says: <time id="now">${now.toISOString()}</time></p>
<p>Ticks shown on this page: <output id="ticks">${ticks}</output></p>`,
);

echo(layout('Clock', html`<h1>Server clock</h1>${view}`));

setInterval(() => {
  ticks++;
  now = new Date();
}, 1000);

page.onClose(() => console.log(`clock stopped after ${ticks} ticks`));

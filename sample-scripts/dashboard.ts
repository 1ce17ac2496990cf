// A page made of three live components, each a script of its own (widgets/*.ts) with its own
// state, events and timers: `include()` renders one as a page owned by this one, on this page's
// one socket. Closing the tab ends all four.
import { layout } from './_layout.ts';

const clock = await include('/widgets/clock');
const counter = await include('/widgets/counter', { start: 10 });
const rooms = await include('/widgets/rooms');

echo(
  layout(
    'Dashboard',
    html`<h1>Dashboard</h1>
<section id="clock"><h2>Clock</h2>${clock}</section>
<section id="counter"><h2>Counter</h2>${counter}</section>
<section id="rooms"><h2>Chat rooms</h2>${rooms}</section>`,
  ),
);

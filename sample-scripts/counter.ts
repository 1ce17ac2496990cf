// sample-scripts/counter.ts -> GET /counter
// State lives in the script's own variables: each open page has its own `count`. The buttons
// send their events with attributes, and the view follows `count`: no client code.
import { layout } from './_layout.ts';

let count = Number(request.query.start ?? 0) || 0;

const view = page.view(() => html`<p>Count: <output id="count">${count}</output></p>`);

echo(
  layout(
    'Counter',
    html`<h1>Counter</h1>
${view}
<button id="decrement" pw-click="add" pw-value-by="-1">−1</button>
<button id="increment" pw-click="add" pw-value-by="1">+1</button>
<p>Open this page in two tabs: each tab counts on its own.</p>`,
  ),
);

function __serverSocketEvent(name: string, event: { by?: unknown }) {
  if (name === 'add' && (event.by === '1' || event.by === '-1')) count += Number(event.by);
}

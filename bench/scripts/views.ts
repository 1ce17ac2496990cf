// The page of the client figures (bench/client-figures.ts): a 200-item todo list and a counter,
// each a page.view, each changed by its own event.
const done = new Set<number>();
let count = 0;
const item = (i: number) => html`<li class="${done.has(i) ? 'done' : ''}">
  <button pw-click="toggle" pw-value-i="${i}" aria-pressed="${done.has(i)}">Item number ${i}</button></li>`;
const todo = page.view(() => html`<ul>${[...Array(200).keys()].map(item)}</ul><p>${done.size} done</p>`);
const counter = page.view(() => html`<p>Clicked ${count} times</p>`);
echo(html`<!doctype html><body>${todo}${counter}</body>`);

function __serverSocketEvent(name: string, data: { i: number }) {
  if (name === 'toggle') done.has(data.i) ? done.delete(data.i) : done.add(data.i);
  if (name === 'count') count++;
}

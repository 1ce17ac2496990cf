// A live component (see dashboard.ts): `pw-click` inside it reaches this instance, not the page
// around it. `request.props` is what the including page passed: include('/widgets/counter', { start: 10 }).
const props = request.props as { start?: unknown } | undefined;
let count = typeof props?.start === 'number' ? props.start : 0;

echo(
  page.view(
    () => html`<p class="counter">Count: <output class="count">${count}</output>
<button class="down" pw-click="add" pw-value-by="-1">−1</button>
<button class="up" pw-click="add" pw-value-by="1">+1</button></p>`,
  ),
);

function __serverSocketEvent(name: string, data: unknown) {
  const by = Number((data as { by?: string }).by);
  if (name === 'add' && (by === 1 || by === -1)) count += by;
}

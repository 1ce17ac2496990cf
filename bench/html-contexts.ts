// The cost of the context-aware `html` tag (runner/sandbox/prelude/html.ts) on a render, in this
// thread, the tag's own code without a sandbox or HTTP around it:
// - a template's analysis (html-tokenizer.ts), paid once per template: a cold render pays it;
// - a render of a page (a layout, 100 rows with a link each) with every plan cached, against the
//   same page with the tag as it was before (one escaping everywhere, inlined below), same run.
// Run it alone: `node --import tsx bench/html-contexts.ts [rounds]`.
import { html as contextHtml } from '../runner/sandbox/prelude/html.js';
import { analyse } from '../runner/sandbox/prelude/html-tokenizer.js';

/** The tag before issue 12's part 7: every interpolation escaped alike (the baseline). */
class OldHtml {
  constructor(readonly value: string) {}
}
const OLD_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function oldInterpolate(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof OldHtml) return value.value;
  if (Array.isArray(value)) return value.map(oldInterpolate).join('');
  return String(value).replace(/[&<>"']/g, (c) => OLD_ESCAPES[c] as string);
}
function oldHtml(strings: TemplateStringsArray, ...values: unknown[]): OldHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += oldInterpolate(values[i]) + strings[i + 1];
  return new OldHtml(out);
}

type Tag = (strings: TemplateStringsArray, ...values: unknown[]) => { value: string };
interface Person {
  id: number;
  name: string;
  city: string;
}
const people: Person[] = Array.from({ length: 100 }, (_, id) => ({ id, name: `Person <${id}> & co`, city: 'Lyon' }));

/** The same page through either tag: each call site is its own template, as in a script. */
function page(tag: Tag, title: string): string {
  const rows = people.map(
    (p) =>
      tag`<tr><td>${p.id}</td>
<td><a href="/people/${p.id}" title="${p.name}">${p.name}</a></td><td>${p.city}</td></tr>`,
  );
  return tag`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title} · Pagewire</title>
<style>body { font: 16px/1.5 system-ui, sans-serif; } a { color: #0a58ca; }</style></head>
<body><p><a href="./">Samples</a></p><h1>${title}</h1>
<table><thead><tr><th>id</th><th>name</th><th>city</th></tr></thead><tbody id="rows">${rows}</tbody></table>
<p><button id="more" class="${'primary'}">More</button> <span id="status"></span></p>
</body></html>`.value;
}

/** Microseconds per call of each of `runs`, the median of `rounds` rounds, taken in turn. */
function time(rounds: number, calls: number, ...runs: Array<() => unknown>): number[] {
  const perCall = runs.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    runs.forEach((run, n) => {
      const start = performance.now();
      for (let i = 0; i < calls; i++) run();
      perCall[n]?.push(((performance.now() - start) * 1000) / calls);
    });
  }
  return perCall.map((times) => times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number);
}

/** A template's static strings, as a fresh call site would hand them (no plan for them yet). */
function strings(tag: (s: TemplateStringsArray, ...values: unknown[]) => TemplateStringsArray): readonly string[] {
  return tag`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${0} · Pagewire</title>
<style>body { font: 16px/1.5 system-ui, sans-serif; } a { color: #0a58ca; }</style></head>
<body><p><a href="./">Samples</a></p><h1>${0}</h1>
<table><thead><tr><th>id</th><th>name</th><th>city</th></tr></thead><tbody id="rows">${0}</tbody></table>
<p><button id="more" class="${0}">More</button> <span id="status"></span></p>
<script>const rows = ${0}; document.getElementById('more').onclick = () => go(rows, 'more');</script>
</body></html>`;
}

export function measureHtmlContexts(rounds = 15): Record<string, number> {
  const layout = [...strings((s) => s)];
  const row = ['<tr><td>', '</td>\n<td><a href="/people/', '" title="', '">', '</a></td><td>', '</td></tr>'];
  // Warm both tags up: the JIT, and (for the new tag) the two plans of `page`.
  for (let i = 0; i < 200; i++) page(contextHtml, 'People') === page(oldHtml, 'People');
  if (page(contextHtml, 'People') !== page(oldHtml, 'People')) throw new Error('the two tags wrote different pages');
  const [analysisLayout = 0, analysisRow = 0] = time(
    rounds,
    2000,
    () => analyse(layout),
    () => analyse(row),
  );
  // In turn, round by round: a machine whose load changes slows both alike.
  const [contextRender = 0, oldRender = 0] = time(
    rounds,
    300,
    () => page(contextHtml, 'People'),
    () => page(oldHtml, 'People'),
  );
  return {
    'analysis of the layout template (once per template), µs': analysisLayout,
    'analysis of the row template (once per template), µs': analysisRow,
    'render of the page (101 html calls), plans cached, µs': contextRender,
    'the same render with the previous tag, µs': oldRender,
    'ratio, cached render / previous tag': contextRender / oldRender,
    'a cold render (both analyses first) / a cached render':
      (contextRender + analysisLayout + analysisRow) / contextRender,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.argv[2] ?? 15);
  for (const [name, value] of Object.entries(measureHtmlContexts(rounds))) {
    console.log(`${name}: ${value < 10 ? value.toFixed(2) : value.toFixed(1)}`);
  }
}

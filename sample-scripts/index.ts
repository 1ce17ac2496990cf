// A plain page: no __serverSocketEvent, nothing registered, so nothing is injected into it.
import { layout } from './_layout.ts';

const samples = [
  [
    '/hello',
    'hello.ts',
    'the original 2008 proposal: a click raises an event on the server, which answers with an alert',
  ],
  ['/counter', 'counter.ts', 'state in a top-level variable, one copy per open page, updated without a reload'],
  ['/clock', 'clock.ts', 'the server pushes the time from a per-page timer that stops when the page closes'],
  [
    '/notes',
    'notes.ts',
    'a file lock held by the page while it lives: one editor at a time, the next one gets it live',
  ],
  [
    '/people',
    'people.ts',
    'a PostgreSQL connection and cursor owned by the page (npm packages pg, pg-cursor; set DATABASE_URL)',
  ],
];

echo(
  layout(
    'Samples',
    html`<h1>Pagewire samples</h1>
<p>Each file in <code>sample-scripts/</code> is a page; these stay wired to the script instance that rendered them.</p>
<ul>
${samples.map(([href, file, what]) => html`<li><a href="${href}">${file}</a>: ${what}</li>`)}
</ul>`,
  ),
);

// A plain page: no __serverSocketEvent, nothing registered, so nothing is injected into it.
// Each sample is shown beside its source, read from this folder on every view (dev mode
// reloads the pages, and this shows the files as they are now).
import { readFileSync } from 'node:fs';
import { layout } from './_layout.ts';

const samples = [
  [
    '/hello',
    'hello.ts',
    'the original 2008 proposal: a click raises an event on the server, which answers with an alert',
  ],
  ['/counter', 'counter.ts', 'state in a top-level variable, one copy per open page, updated without a reload'],
  ['/todo', 'todo.ts', 'a todo list (add, tick, remove, a count that follows) with no client code: pw-* and page.view'],
  ['/search', 'search.ts', 'search as you type on a slow source: only the last query runs after the first'],
  ['/signup', 'signup.ts', 'a sign-up form checked as you type, each error beside its field; focus and caret stay'],
  ['/clock', 'clock.ts', 'the server pushes the time from a per-page timer that stops when the page closes'],
  [
    '/notes',
    'notes.ts',
    'a file lock held by the page while it lives: one editor at a time, the next one gets it live',
  ],
  ['/chat', 'chat.ts', 'a chat room: its history kept with shared.push and shared.list, one for every page'],
  [
    '/people',
    'people.ts',
    'a PostgreSQL connection and cursor owned by the page (npm packages pg, pg-cursor; set DATABASE_URL)',
  ],
  ['/dashboard', 'dashboard.ts', 'three live components (widgets/*.ts), each a script with its own state and events'],
  ['/talk', 'talk.ts', 'a page that opens a separate script, room/[name].ts, with new ServerSocket(path)'],
  [
    '/photos',
    'photos.ts',
    'photos uploaded over the socket with progress, thumbnails as they arrive; a plain form without JavaScript',
  ],
];

// Links are relative (`./hello`): mounted under a path (`app.use('/app', wire)`), they stay under it.
const sourceOf = (file: string) => readFileSync(`${__dirname}/${file}`, 'utf8');

echo(
  layout(
    'Samples',
    html`<style>
  body { max-width: 80rem; }
  .sample { display: grid; grid-template-columns: minmax(14rem, 1fr) 3fr; gap: 1.5rem; border-top: 1px solid #ddd; }
  .sample pre { background: #f6f6f6; padding: .8rem; overflow-x: auto; font-size: 13px; line-height: 1.4; }
  .sample pre code { background: none; padding: 0; }
  @media (max-width: 50rem) { .sample { grid-template-columns: 1fr; } }
</style>
<h1>Pagewire samples</h1>
<p>Each file in <code>sample-scripts/</code> is a page; these stay wired to the script instance that rendered them.</p>
<ul>
${samples.map(([href, file, what]) => html`<li><a href=".${href}">${file}</a>: ${what}</li>`)}
</ul>
<h2>Your own page</h2>
<p>In your project, after <code>npm install path/to/pagewire</code> and
<code>npm install -D typescript @types/node@20</code>, <code>npx pagewire init</code> writes a
<code>scripts/</code> folder: a first page that counts clicks (<code>index.ts</code>), a partial it
imports (<code>_layout.ts</code>) and a
<code>tsconfig.json</code> that tells your editor the globals a script sees. Then
<code>npx pagewire serve scripts --dev</code> serves it, and reloads a page when you save its file.
Each <code>.ts</code> file is a page (<code>a/b.ts</code> serves <code>/a/b</code>); its top-level code
runs once per page view and <code>echo</code>es the page; defining <code>__serverSocketEvent</code> makes it
live.</p>
<h2>The samples and their source</h2>
${samples.map(
  ([href, file, what]) => html`<section class="sample" id="sample-${file}">
<div><h3><a href=".${href}">${file}</a></h3><p>${what}</p></div>
<pre><code>${sourceOf(file ?? '')}</code></pre>
</section>`,
)}`,
  ),
);

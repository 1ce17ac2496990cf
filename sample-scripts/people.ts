// "Resources opened by the script stay open while its page lives", with a database: the page
// opens a PostgreSQL connection and a server-side cursor (pg, pg-cursor: npm packages), shows the
// first rows and adds the next ones on each click (page.append), from where it stopped. Both are
// owned by the page, so they close when it dies. Point it at a server with DATABASE_URL, e.g.
//   DATABASE_URL=postgres://user:password@localhost:5432/mydb npm start
// It creates and fills its table (pagewire_people, 100,000 rows) the first time.
import pg from 'pg';
import Cursor from 'pg-cursor';
import { layout } from './_layout.ts';

interface Person {
  id: number;
  name: string;
  city: string;
}

const PAGE_SIZE = 20;
const url = process.env.DATABASE_URL;

/** The table, created and filled the first time (generate_series: one statement, no round trips). */
const SETUP = `
CREATE TABLE IF NOT EXISTS pagewire_people (id integer PRIMARY KEY, name text NOT NULL, city text NOT NULL);
INSERT INTO pagewire_people
  SELECT n, 'Person ' || n, (ARRAY['Lyon', 'Oslo', 'Lima', 'Pune', 'Kyiv'])[1 + n % 5]
  FROM generate_series(1, 100000) AS n
  ON CONFLICT (id) DO NOTHING;`;

/** The open cursor, or why there is none (the page says so rather than failing). */
async function openCursor(): Promise<Cursor<Person> | string> {
  if (!url) return 'DATABASE_URL is not set.';
  // application_name: how the server's pg_stat_activity tells this page's connections apart.
  // Owned before it connects: a page that dies while it connects (the tab closed) ends it too.
  const client = page.own(
    new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: 5000,
      application_name: 'pagewire-people',
    }),
  );
  // A connection that drops while the page is open reports here, not as a crash.
  client.on('error', (error: Error) => console.error(`people: the database connection failed: ${error.message}`));
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    // Its host and port only: the URL may hold a password.
    const host = /^\w+:\/\/(?:[^@/]*@)?([^/?#]*)/.exec(url)?.[1] ?? 'DATABASE_URL';
    return `cannot reach the database at ${host}: ${(error as Error).message}`;
  }
  const { rows } = await client.query<{ table: string | null }>("SELECT to_regclass('pagewire_people') AS table");
  if (rows[0]?.table === null) await client.query(SETUP);
  const cursor = client.query(new Cursor<Person>('SELECT id, name, city FROM pagewire_people ORDER BY id'));
  // Owned after the client: closed before it (last in, first out).
  return page.own(cursor);
}

const cursor = await openCursor();
const first = typeof cursor === 'string' ? [] : await cursor.read(PAGE_SIZE);
const rowsHtml = (people: Person[]) =>
  people.map((p) => html`<tr><td>${p.id}</td><td>${p.name}</td><td>${p.city}</td></tr>`);

let done = false;
/** The button and what it says: a view, so that it follows `done`. */
const moreButton = () =>
  page.view(
    () => html`<p><button id="more" pw-click="more" ${done ? 'disabled' : ''}>More</button>
<span id="status">${done ? 'That is everyone.' : ''}</span></p>`,
  );

if (typeof cursor === 'string') {
  echo(
    layout(
      'People',
      html`<h1>People</h1>
<p><strong>No database:</strong> ${cursor}</p>
<p>This sample pages through a PostgreSQL table with a server-side cursor that its page owns. Start
the server with the database's URL, for example:</p>
<pre>DATABASE_URL=postgres://user:password@localhost:5432/mydb npm start</pre>
<p>It creates its table (<code>pagewire_people</code>, 100,000 rows) the first time.</p>`,
    ),
  );
} else {
  echo(
    layout(
      'People',
      html`<h1>People</h1>
<p>A server-side cursor over 100,000 rows, open while this page is: each click reads the next ${PAGE_SIZE}.</p>
<table><thead><tr><th>id</th><th>name</th><th>city</th></tr></thead><tbody id="rows">${rowsHtml(first)}</tbody></table>
${moreButton()}`,
    ),
  );
}

async function __serverSocketEvent(name: string) {
  if (name !== 'more' || typeof cursor === 'string') return;
  const people = await cursor.read(PAGE_SIZE);
  // Added at the end of the table: the rows already shown are not sent again.
  page.append('#rows', html`${rowsHtml(people)}`);
  done = people.length < PAGE_SIZE;
}

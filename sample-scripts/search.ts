// Search as you type on a slow source: each query takes 1.5 s (`?delay=` in ms sets another).
// Typing "kiwi" fast runs the query for "k" and then only kiwi's: an input event not yet started
// on the server is replaced by the newer one of the same field (latest wins), so the results shown
// are always the last query's, about 1.5 s after the last key, not after every prefix's.
import { layout } from './_layout.ts';

const NAMES = [
  'Apple',
  'Apricot',
  'Avocado',
  'Banana',
  'Blackberry',
  'Blueberry',
  'Cherry',
  'Coconut',
  'Cranberry',
  'Date',
  'Dragon fruit',
  'Durian',
  'Elderberry',
  'Fig',
  'Gooseberry',
  'Grape',
  'Grapefruit',
  'Guava',
  'Jackfruit',
  'Kiwi',
  'Kumquat',
  'Lemon',
  'Lime',
  'Lychee',
  'Mango',
  'Melon',
  'Nectarine',
  'Olive',
  'Orange',
  'Papaya',
  'Passion fruit',
  'Peach',
  'Pear',
  'Persimmon',
  'Pineapple',
  'Plum',
  'Pomegranate',
  'Quince',
  'Raspberry',
  'Redcurrant',
  'Strawberry',
  'Tangerine',
  'Watermelon',
];
const delay = Math.min(Math.max(Number(request.query.delay ?? 1500) || 0, 0), 10_000);

let query = '';
let results: string[] = [];
/** The queries this page's server ran, in order: what latest wins saves shows here. */
const ran: string[] = [];

/** The slow source: a database or an API far away, here a list and a wait. */
async function slowSearch(text: string): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, delay));
  const wanted = text.toLowerCase();
  return NAMES.filter((name) => name.toLowerCase().includes(wanted));
}

const view = page.view(
  () => html`<p id="status" data-query="${query}" data-queries="${ran.length}">${
    query === '' ? 'Type to search.' : html`${results.length} result(s) for <q>${query}</q>.`
  } Queries run for this page: ${ran.length === 0 ? 'none' : ran.join(', ')}.</p>
<ul id="results">${results.map((name) => html`<li>${name}</li>`)}</ul>`,
);

echo(
  layout(
    'Search',
    html`<h1>Search fruit</h1>
<p><input id="q" name="q" type="search" placeholder="kiwi" autocomplete="off" pw-input="search" autofocus></p>
${view}
<p>Each query takes ${delay / 1000} s on the server: type fast, and only the last one's results show.</p>`,
  ),
);

async function __serverSocketEvent(name: string, data: { value?: unknown }) {
  if (name !== 'search' || typeof data.value !== 'string') return;
  const text = data.value.trim().slice(0, 50);
  if (text === '') {
    [query, results] = ['', []];
    return;
  }
  ran.push(text);
  results = await slowSearch(text);
  query = text;
}

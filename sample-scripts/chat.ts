// A chat room whose history every page shares, with no client code. `shared.push` keeps the last
// posts in the store every page of the site sees, whatever runs it (`workers: 0`, worker threads,
// processes); a module-level array in a partial would keep one history per worker thread instead.
// Each post is published on the channel `chat`, which every open chat page follows: its view
// shows the new post. The host app can post too: `wire.publish('chat', post)`.
import { layout } from './_layout.ts';

const HISTORY = 'chat:history';
const MAX_POSTS = 50;
type Post = { name: string; text: string; at: string };

// The last MAX_POSTS posts, oldest first (Redis's LRANGE: negative indexes count from the end).
const posts = await shared.list<Post>(HISTORY, -MAX_POSTS, -1);
/** The name this page posts under, kept for its next post. */
let me = '';

const view = page.view(
  () => html`<ul id="posts">${posts.map((post) => html`<li><b>${post.name}</b>: ${post.text}</li>`)}</ul>
<form id="post" pw-submit="post">
  <input id="name" name="name" placeholder="Your name" size="12" maxlength="30" value="${me}">
  <input id="text" name="text" placeholder="Say something" size="36" maxlength="500" required value="">
  <button>Send</button>
</form>`,
);

echo(
  layout(
    'Chat',
    html`<h1>Chat</h1>
${view}
<p>Open this page in two tabs: each post reaches both, and a new tab shows the last ${MAX_POSTS}.</p>`,
  ),
);

// Every post, from a page of this site or from the host app, reaches every page's view.
page.channel('chat').subscribe((post) => {
  const { name, text, at } = (post ?? {}) as Partial<Post>;
  if (typeof name !== 'string' || typeof text !== 'string') return;
  posts.push({ name, text, at: typeof at === 'string' ? at : new Date().toISOString() });
  if (posts.length > MAX_POSTS) posts.shift();
});

async function __serverSocketEvent(name: string, event: { name?: unknown; text?: unknown }) {
  if (name !== 'post') return;
  const { name: who, text } = event;
  if (typeof text !== 'string' || text.trim() === '') return;
  me = typeof who === 'string' ? who.trim().slice(0, 30) : '';
  const post: Post = { name: me || 'anonymous', text: text.slice(0, 500), at: new Date().toISOString() };
  // Appended and capped in one atomic step, whichever page of whichever thread posts.
  await shared.push(HISTORY, post, { max: MAX_POSTS });
  page.channel('chat').publish(post);
}

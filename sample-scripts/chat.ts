// A chat room whose history every page shares. `shared.push` keeps the last posts in the store
// every page of the site sees, whatever runs it (`workers: 0`, worker threads, processes); a
// module-level array in a partial would keep one history per worker thread instead.
// `page.broadcast` then tells every open page of this script.
import { layout } from './_layout.ts';

const HISTORY = 'chat:history';
const MAX_POSTS = 50;
type Post = { name: string; text: string; at: string };

// The last MAX_POSTS posts, oldest first (Redis's LRANGE: negative indexes count from the end).
const history = await shared.list<Post>(HISTORY, -MAX_POSTS, -1);

echo(
  layout(
    'Chat',
    html`<h1>Chat</h1>
<ul id="posts">${history.map((post) => html`<li><b>${post.name}</b>: ${post.text}</li>`)}</ul>
<form id="post">
  <input id="name" placeholder="Your name" size="12" maxlength="30">
  <input id="text" placeholder="Say something" size="36" maxlength="500" required>
  <button>Send</button>
</form>
<p>Open this page in two tabs: each post reaches both, and a new tab shows the last ${MAX_POSTS}.</p>
<script>
  const posts = document.getElementById('posts');
  const text = document.getElementById('text');
  document.getElementById('post').onsubmit = (event) => {
    event.preventDefault();
    document.serverSocket.send('post', { name: document.getElementById('name').value, text: text.value });
    text.value = '';
  };
  document.serverSocket.addEventListener('post', (event) => {
    const item = document.createElement('li');
    const name = document.createElement('b');
    name.textContent = event.data.name;
    item.append(name, ': ' + event.data.text);
    posts.append(item);
  });
</script>`,
  ),
);

// What the host app announces (`wire.publish('chat', post)`) reaches the page like a post.
page.channel('chat').subscribe((post) => server_socket_event('post', post));

async function __serverSocketEvent(name: string, event: unknown) {
  if (name !== 'post' || typeof event !== 'object' || event === null) return;
  const { name: who, text } = event as { name?: unknown; text?: unknown };
  if (typeof text !== 'string' || text.trim() === '') return;
  const author = typeof who === 'string' && who.trim() !== '' ? who.trim().slice(0, 30) : 'anonymous';
  const post: Post = { name: author, text: text.slice(0, 500), at: new Date().toISOString() };
  // Appended and capped in one atomic step, whichever page of whichever thread posts.
  await shared.push(HISTORY, post, { max: MAX_POSTS });
  page.broadcast('post', post);
}

// "Resources opened by the script can be kept open (file locking)", from the 2008 proposal:
// one page at a time may edit the notes. The page takes an exclusive lock file when it opens
// and owns it, so Pagewire releases it the moment the page dies; the next page in line takes it.
import fs from 'node:fs';
import path from 'node:path';
import { layout } from './_layout.ts';

const dataDir = path.join(__dirname, '_data');
const notesFile = path.join(dataDir, 'notes.txt');
const lockFile = path.join(dataDir, 'notes.lock');
const lock = page.channel('notes-lock');
fs.mkdirSync(dataDir, { recursive: true });

const readNotes = () => (fs.existsSync(notesFile) ? fs.readFileSync(notesFile, 'utf8') : '');

/** Takes the lock if it is free; true when this page holds it. */
function takeLock(): boolean {
  let fd: number;
  try {
    fd = fs.openSync(lockFile, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A lock left by a server process that ended without releasing it is stale.
    if (fs.readFileSync(lockFile, 'utf8') === String(process.pid)) return false;
    fs.rmSync(lockFile, { force: true });
    return takeLock();
  }
  fs.writeSync(fd, String(process.pid));
  page.own({
    close() {
      fs.closeSync(fd);
      fs.rmSync(lockFile, { force: true });
      lock.publish('released');
    },
  });
  return true;
}

let editing = takeLock();

lock.subscribe((message) => {
  if (message === 'released' && !editing && takeLock()) {
    editing = true;
    server_socket_event('lock', { editing, text: readNotes() });
  }
});

echo(
  layout(
    'Notes',
    html`<h1>Notes</h1>
<p id="status">${editing ? 'You are editing the notes.' : 'The notes are locked by another editor.'}</p>
<textarea id="notes" rows="10" cols="60" ${editing ? '' : raw('readonly')}>${readNotes()}</textarea>
<p><button id="save" ${editing ? '' : raw('disabled')}>Save</button> <span id="saved"></span></p>
<p>Open this page in a second tab: it waits, live, and gets the lock when this tab closes.</p>
<script>
  const notes = document.getElementById('notes');
  const save = document.getElementById('save');
  save.onclick = () => document.serverSocket.send('save', notes.value);
  document.serverSocket.addEventListener('lock', (event) => {
    notes.readOnly = !event.data.editing;
    save.disabled = !event.data.editing;
    notes.value = event.data.text;
    document.getElementById('status').textContent = 'You are editing the notes.';
  });
  document.serverSocket.addEventListener('text', (event) => {
    if (notes.readOnly) notes.value = event.data;
  });
  document.serverSocket.addEventListener('saved', (event) => {
    document.getElementById('saved').textContent = 'Saved at ' + event.data;
  });
</script>`,
  ),
);

function __serverSocketEvent(name: string, event: unknown) {
  if (name !== 'save' || !editing || typeof event !== 'string') return;
  fs.writeFileSync(notesFile, event);
  server_socket_event('saved', new Date().toLocaleTimeString());
  page.broadcast('text', event);
}

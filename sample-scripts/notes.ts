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
let text = readNotes();
let savedAt = '';

lock.subscribe((message) => {
  if (message === 'released' && !editing && takeLock()) {
    editing = true;
    text = readNotes();
  }
});
// A save reaches the pages that wait: they show the notes as saved.
page.channel('notes-text').subscribe((saved) => {
  if (!editing && typeof saved === 'string') text = saved;
});

const view = page.view(
  () => html`<p id="status">${editing ? 'You are editing the notes.' : 'The notes are locked by another editor.'}</p>
<form id="editor" pw-submit="save">
<textarea id="notes" name="text" rows="10" cols="60" ${editing ? '' : 'readonly'}>${text}</textarea>
<p><button id="save" ${editing ? '' : 'disabled'}>Save</button> <span id="saved">${savedAt}</span></p>
</form>`,
);

echo(
  layout(
    'Notes',
    html`<h1>Notes</h1>
${view}
<p>Open this page in a second tab: it waits, live, and gets the lock when this tab closes.</p>`,
  ),
);

function __serverSocketEvent(name: string, event: { text?: unknown }) {
  if (name !== 'save' || !editing || typeof event.text !== 'string') return;
  text = event.text;
  fs.writeFileSync(notesFile, text);
  savedAt = `Saved at ${new Date().toLocaleTimeString()}`;
  page.channel('notes-text').publish(text);
}

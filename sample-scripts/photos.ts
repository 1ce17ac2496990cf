// Photos: several images uploaded over the page's socket with a progress bar each, thumbnails
// shown as they arrive, and no JavaScript of the page's own. With JavaScript off, the plain form
// below posts a photo as multipart/form-data, and the same script keeps it (request.files).
import fs from 'node:fs';
import path from 'node:path';
import { layout } from './_layout.ts';

const gallery = path.join(__dirname, '_data', 'photos');
fs.mkdirSync(gallery, { recursive: true });
const MAX_SHOWN = 8;

/** Keeps an uploaded photo: moved out of its temporary folder (which goes with the page) into the gallery. */
function keep(file: UploadedFile): string {
  const name = `${Date.now()}-${file.sha256.slice(0, 12)}${path.extname(file.name).toLowerCase()}`;
  fs.renameSync(file.path, path.join(gallery, name));
  return name;
}

const bar = (bytes: number, total: number) => html`<progress value="${bytes}" max="${total}"></progress>`;

const thumbnail = (name: string) => {
  const type = { '.png': 'png', '.gif': 'gif', '.webp': 'webp' }[path.extname(name)] ?? 'jpeg';
  const data = fs.readFileSync(path.join(gallery, name), 'base64');
  return html`<img src="data:image/${type};base64,${data}" alt="${name}" width="120">`;
};

if (request.method === 'POST') {
  // JavaScript off: the form's photo arrives with the request (an image's bytes were checked
  // against its type by the server; anything else is not kept). Then back to the page (a GET).
  for (const file of request.files.photo ?? []) if (file.type.startsWith('image/')) keep(file);
  response.redirect('photos', 303);
} else {
  live();
}

function live() {
  /** Files on their way, by name: what the view shows as progress bars. */
  const arriving = new Map<string, { bytes: number; total: number }>();
  let problem = '';

  page.allowUpload('photos', {
    accept: ['image/*'],
    maxFileSize: 2_000_000,
    maxFiles: 10,
    onProgress({ file, bytes, total }) {
      arriving.set(file, { bytes, total });
    },
    onFile(file) {
      arriving.delete(file.name);
      page.prepend('#gallery', thumbnail(keep(file)));
    },
    onError({ message }) {
      problem = message;
    },
  });

  const progress = page.view(
    () => html`${problem ? html`<p class="error">${problem}</p>` : ''}
  ${[...arriving].map(([name, { bytes, total }]) => html`<p>${name} ${bar(bytes, total)}</p>`)}`,
  );

  const shown = fs.readdirSync(gallery).sort().reverse().slice(0, MAX_SHOWN);

  echo(
    layout(
      'Photos',
      html`<style>
    input[pw-upload] {
      background: linear-gradient(to right, #cde calc(var(--pw-progress, 0) * 100%), transparent 0);
    }
    #gallery img { margin: .2rem; border-radius: 4px; }
    .error { color: #b00; }
  </style>
  <h1>Photos</h1>
  <p><label>Choose photos (images up to 2 MB):
    <input type="file" pw-upload="photos" multiple accept="image/*"></label></p>
  ${progress}
  <div id="gallery">${shown.map(thumbnail)}</div>
  <noscript><form method="post" enctype="multipart/form-data">
    <p><label>A photo: <input type="file" name="photo" accept="image/*"></label> <button>Send</button></p>
  </form></noscript>`,
    ),
  );
}

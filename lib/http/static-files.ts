/**
 * Which files of the scripts folder are static assets: an allowlist of extensions (the
 * `staticExtensions` option), and, whatever it says, never a script's source, its backups or an
 * editor's files (a `secret.ts~` holds the same keys as `secret.ts`).
 */

/**
 * Extensions served as static files by default: what a browser loads. Not `.json`, `.xml`, `.md`,
 * `.yaml`, `.csv`, `.sql` and the like: such files in a scripts folder are more often a script's
 * data or configuration (a service account's key, credentials.json) than an asset; list them in
 * `staticExtensions` to serve them.
 */
export const DEFAULT_STATIC_EXTENSIONS: readonly string[] = Object.freeze([
  // Stylesheets, browser scripts (`.mjs` and `.cjs` are server partials, never served), their
  // source maps (a script's own `.ts.map` is never served), WebAssembly.
  '.css',
  '.js',
  '.map',
  '.wasm',
  // Documents.
  '.html',
  '.htm',
  '.txt',
  '.pdf',
  '.webmanifest',
  // Images.
  '.png',
  '.jpg',
  '.jpeg',
  '.gif',
  '.webp',
  '.avif',
  '.svg',
  '.ico',
  '.bmp',
  // Fonts.
  '.woff',
  '.woff2',
  '.ttf',
  '.otf',
  '.eot',
  // Audio, video, subtitles.
  '.mp3',
  '.mp4',
  '.m4a',
  '.m4v',
  '.webm',
  '.ogg',
  '.oga',
  '.ogv',
  '.opus',
  '.wav',
  '.flac',
  '.vtt',
]);

/** Extensions of sources that run on the server (or are compiled for it): never sent. */
const SOURCE_EXTENSIONS = new Set(['ts', 'mts', 'cts', 'tsx', 'jsx', 'mjs', 'cjs']);

/** What editors, patch tools and people leave beside a file: copies of its source. */
const BACKUP_EXTENSIONS = new Set([
  'bak',
  'backup',
  'orig',
  'rej',
  'old',
  'save',
  'sav',
  'swp',
  'swo',
  'swn',
  'tmp',
  'temp',
]);

/**
 * True for a name that is never served, whatever `staticExtensions` says: a source (`.ts`,
 * `.d.ts`, `.tsx`, `.mts`, ...; `.mjs`/`.cjs`, server partials), anything named after one
 * (`secret.ts.bak`, `secret.ts.txt`, `hello.ts.map`), a backup (`.bak`, `.orig`, `.swp`, `.tmp`,
 * ...), an Emacs or Vim leftover (`secret.ts~`, `#secret.ts#`).
 */
export function neverServed(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower.endsWith('~') || lower.startsWith('#')) return true;
  const parts = lower.split('.').slice(1);
  if (parts.some((part) => SOURCE_EXTENSIONS.has(part))) return true;
  return BACKUP_EXTENSIONS.has(parts[parts.length - 1] ?? '');
}

/** The first entry of `extensions` that `neverServed` refuses anyway, for the option's check. */
export function neverServedExtension(extensions: readonly string[]): string | undefined {
  return extensions.find((extension) => neverServed(`file${extension}`));
}

/** True when `name` is a static asset: its extension is listed, and it is not a source or a copy of one. */
export function isStaticAsset(name: string, extensions: readonly string[]): boolean {
  if (neverServed(name)) return false;
  const lower = name.toLowerCase();
  return extensions.some((extension) => lower.length > extension.length && lower.endsWith(extension.toLowerCase()));
}

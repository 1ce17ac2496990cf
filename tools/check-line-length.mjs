// `npm run lint` runs it after Biome: lists every line over 120 characters, and every file over 400
// lines, among the repository's .ts, .mjs and .js files: source (lib/, runner/, client/,
// protocol/, bin/, tools/), tests and their helpers (test/), scripts and examples alike; dist/ is
// left out. Biome's formatter wraps code at 120 (its `lineWidth`) but never splits a string, a
// template literal or a comment, so a long one passes `biome check` unseen; and nothing else
// keeps a file small enough to have one job.
// Files are the ones git tracks plus new ones it does not ignore, as Biome sees them.
// Exits 1 and prints `file:line: N characters` for each long line and `file: N lines` for each
// long file; exits 0 when there is none.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const MAX = 120;
const MAX_LINES = 400;
const root = path.join(import.meta.dirname, '..');

const files = execFileSync(
  'git',
  ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '*.ts', '*.mjs', '*.js'],
  { cwd: root, encoding: 'utf8' },
)
  .split('\0')
  .filter((file) => file !== '' && !file.startsWith('dist/') && path.basename(file) !== 'package-lock.json');

const long = [];
const longFiles = [];
for (const file of new Set(files)) {
  const absolute = path.join(root, file);
  // Tracked but deleted in the working tree: nothing to check.
  if (!existsSync(absolute)) continue;
  const lines = readFileSync(absolute, 'utf8').split(/\r?\n/);
  // A file that ends with a newline does not have one more, empty, line.
  const count = lines.at(-1) === '' ? lines.length - 1 : lines.length;
  if (count > MAX_LINES) longFiles.push(`${file}: ${count} lines`);
  lines.forEach((line, index) => {
    // Characters, not UTF-16 units or bytes: `café` is four.
    const length = [...line].length;
    if (length > MAX) long.push(`${file}:${index + 1}: ${length} characters`);
  });
}

if (long.length > 0) {
  console.error(long.join('\n'));
  console.error(
    `${long.length} line(s) over ${MAX} characters. Split long strings with + or [...].join('\\n'), ` +
      'and wrap long comments; `npm run format` wraps code but not these.',
  );
}
if (longFiles.length > 0) {
  console.error(longFiles.join('\n'));
  console.error(
    `${longFiles.length} file(s) over ${MAX_LINES} lines. Split each into files with one job each ` +
      '(a test file: by what its tests are about).',
  );
}
if (long.length > 0 || longFiles.length > 0) process.exit(1);

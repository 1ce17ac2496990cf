import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What `pagewire init` writes: a live first page, the partial it imports, and a tsconfig that
 * works from any project. The tsconfig names the types by package (`pagewire/script-globals`,
 * the package's `exports` maps it), never by a path into a checkout, and includes no `lib.dom`
 * and no `@types/node`: the editor knows the globals a script has, and only those.
 */
export const INIT_FILES: Readonly<Record<string, string>> = Object.freeze({
  'index.ts': `// Your first page: GET / runs this file, once per page view. The page stays wired to the
// script instance that rendered it: \`clicks\` below is this page's own, and lives as long as it.
import { layout } from './_layout.ts';

let clicks = 0;

echo(
  layout(
    'My first page',
    html\`<h1>Hello \${request.query.name ?? 'world'}</h1>
<p><button id="click">Click me</button> <output id="clicks">0</output> clicks</p>
<script nonce="\${request.nonce}">
  const shown = document.getElementById('clicks');
  document.serverSocket.addEventListener('clicks', (event) => { shown.textContent = event.data; });
  document.getElementById('click').onclick = () => document.serverSocket.send('click');
</script>\`,
  ),
);

// Defining this hook makes the page live: the browser's document.serverSocket.send(name, data)
// calls it, and server_socket_event(name, data) answers this page.
function __serverSocketEvent(name: string, data: unknown) {
  if (name === 'click') server_socket_event('clicks', ++clicks);
}
`,
  '_layout.ts': `// A partial: a name that starts with \`_\` is never served; scripts import it.
export function layout(title: string, body: PagewireHtml): PagewireHtml {
  return html\`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>\${title}</title>
</head>
<body>
\${body}
</body>
</html>\`;
}
`,
  // Plain JavaScript, so that `node --test` runs it with nothing else installed; `.mjs` is never served.
  'index.test.mjs': `// A test of index.ts: run it with \`node --test\` (Vitest and Jest too: see the README).
// pagewire/testing renders the page as the server would, in a page that runs its scripts and
// Pagewire's browser client, with no browser and no server; a click waits until the script handled it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { open } from 'pagewire/testing';

test('the first page greets and counts clicks', async () => {
  const page = await open(import.meta.dirname, '/?name=Ada');
  try {
    assert.equal(page.$('h1')?.textContent, 'Hello Ada');
    await page.click('#click');
    await page.click('#click');
    assert.equal(page.$('#clicks')?.textContent, '2');
  } finally {
    await page.close();
  }
});
`,
  // Written out, not JSON.stringify'd: short arrays on one line, as a person writes them.
  'tsconfig.json': `{
  "compilerOptions": {
    "target": "es2022",
    "module": "preserve",
    "moduleDetection": "force",
    "allowImportingTsExtensions": true,
    "noEmit": true,
    "strict": true,
    "isolatedModules": true,
    "erasableSyntaxOnly": true,
    "lib": ["es2023"],
    "types": ["pagewire/script-globals"],
    "skipLibCheck": true
  },
  "include": ["**/*.ts"]
}
`,
});

/** What each file is, as `init` reports it. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  'index.ts': 'your first page, live: it counts clicks (GET /)',
  '_layout.ts': 'a partial the page imports',
  'index.test.mjs': 'a test of the page (pagewire/testing): node --test',
  'tsconfig.json': "editor types: the globals a script sees (from the package's pagewire/script-globals)",
};

/**
 * Writes the starter files into `dir` (created if missing) and returns what to tell the user.
 * Refuses, writing nothing, when any of them exists: it never overwrites a file.
 */
export function initScripts(dir: string): string {
  const existing = Object.keys(INIT_FILES).filter((name) => existsSync(path.join(dir, name)));
  if (existing.length > 0) {
    const named = existing.map((name) => path.join(dir, name)).join(', ');
    throw new Error(
      `init: ${named} already ${existing.length === 1 ? 'exists' : 'exist'}, and init never overwrites a file; ` +
        'nothing was written. Name another folder (pagewire init <dir>), or move those files away.',
    );
  }
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  for (const [name, text] of Object.entries(INIT_FILES)) {
    // `wx`: a file that appeared since the check above is not overwritten either.
    writeFileSync(path.join(dir, name), text, { flag: 'wx' });
    lines.push(`  ${path.join(dir, name)}: ${DESCRIPTIONS[name]}`);
  }
  return [
    `Created ${dir}:`,
    ...lines,
    '',
    'Next, serve it (with hot reload) and open http://localhost:3000/:',
    `  ${serveCommand(dir)}`,
    'Test it (no browser, no server):',
    `  node --test ${quoted(dir)}`,
  ].join('\n');
}

/** The command that serves `dir`. */
function serveCommand(dir: string): string {
  return `npx pagewire serve ${quoted(dir)} --dev`;
}

/** `dir`, quoted for a shell when it has to be. */
function quoted(dir: string): string {
  return /^[\w./@%+=:,-]+$/.test(dir) ? dir : `'${dir.replaceAll("'", "'\\''")}'`;
}

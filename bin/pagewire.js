#!/usr/bin/env node
// The CLI runs from the compiled package; `npm install` builds it (the `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/lib/cli.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('pagewire: dist/ is missing. Run `npm install` (or `npm run build`) in the pagewire folder first.');
  process.exit(1);
}
const { main } = await import(entry.href);
main(process.argv.slice(2)).catch((error) => {
  const message = error instanceof Error ? error.message : String(error);
  // Most messages name the command already (`pagewire serve: ...`).
  console.error(message.startsWith('pagewire') ? message : `pagewire: ${message}`);
  process.exit(1);
});

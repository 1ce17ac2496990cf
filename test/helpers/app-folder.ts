import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const repoModules = path.join(import.meta.dirname, '..', '..', 'node_modules');

/**
 * A temporary app: `scripts/` with the given files, and `node_modules/` above it, as in a real
 * app, holding the given packages (file -> text, under their name) and links to real packages of
 * this repository (`pg`, `nanoid`, ...), which Node follows to the repository's node_modules.
 */
export function appFolder(options: {
  scripts: Record<string, string>;
  packages?: Record<string, Record<string, string>>;
  linked?: string[];
}): { dir: string; scripts: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'pagewire-app-'));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  const scripts = path.join(dir, 'scripts');
  mkdirSync(scripts);
  for (const [name, text] of Object.entries(options.scripts)) write(path.join(scripts, name), text);
  for (const [name, files] of Object.entries(options.packages ?? {})) {
    for (const [file, text] of Object.entries(files)) write(path.join(dir, 'node_modules', name, file), text);
  }
  for (const name of options.linked ?? []) {
    const link = path.join(dir, 'node_modules', name);
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(path.join(repoModules, name), link, 'dir');
  }
  return { dir, scripts, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Imports never leave the scripts folder: a partial is found by name (script-sandbox.ts), then
 * its real path, symbolic links resolved, must still be inside the scripts folder, and not in
 * dataDir (what scripts write is data, never code that runs).
 */
import path from 'node:path';
import { inside, resolveReal } from './jail.js';

/** Why `candidate` (relative to `root`) may not be imported, or undefined when it may. */
export function importRefusal(
  root: string,
  dataDir: string,
  candidate: string,
  specifier: string,
  fromFile: string,
): string | undefined {
  const real = resolveReal(path.join(root, candidate));
  const folder = resolveReal(root);
  const cannot = `Cannot import '${specifier}' in ${fromFile}`;
  if (!inside(real, folder)) {
    return (
      `${cannot}: ${candidate} is really ${real} (a symbolic link), outside the scripts folder ` +
      `(${folder}). Imports never leave the scripts folder: move the file into it, or make it an npm package.`
    );
  }
  if (inside(real, resolveReal(dataDir))) {
    return (
      `${cannot}: ${real} is in dataDir, where scripts write data; code there never runs. ` +
      'Move the partial out of dataDir.'
    );
  }
  return undefined;
}

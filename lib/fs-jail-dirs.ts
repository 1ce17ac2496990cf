import path from 'node:path';
import { resolveReal, type FsJailSettings } from '../runner/fs-jail/jail.js';
import type { ResolvedOptions } from './options.js';

/**
 * The file-system jail's folders, absolute (relative ones are taken from the scripts folder).
 * Throws when `dataDir` is inside the scripts folder under a public name: the router would serve
 * what scripts write there, and in dev take a `.ts` written there for a page. Real paths are
 * compared (links resolved, for a dataDir not made yet its nearest existing folder's): a dataDir
 * that is a link into `uploads/` is in the scripts folder, whatever its own name says.
 */
export function fsJailDirs(options: Pick<ResolvedOptions, 'dir' | 'dataDir' | 'readDirs'>): FsJailSettings {
  const dataDir = path.resolve(options.dir, options.dataDir);
  const realData = resolveReal(dataDir);
  const relative = path.relative(resolveReal(path.resolve(options.dir)), realData);
  const insideScripts = relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
  if (insideScripts && !relative.split(path.sep).some((name) => name.startsWith('_') || name.startsWith('.'))) {
    const where = relative === '' ? 'is the scripts folder' : `is inside the scripts folder as '${relative}'`;
    const really = realData === dataDir ? '' : ` (really ${realData}, through a symbolic link)`;
    throw new Error(
      `pagewire(): 'dataDir' (${dataDir})${really} ${where}, whose files are served to anyone. ` +
        `Give it a private name, such as pagewire({ dataDir: '_data' }), or put it outside the scripts folder.`,
    );
  }
  return { dataDir, readDirs: options.readDirs.map((folder) => path.resolve(options.dir, folder)) };
}

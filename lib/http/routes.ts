import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_STATIC_EXTENSIONS, isStaticAsset } from './static-files.js';

/** What a URL path leads to in the scripts folder. */
export type Route =
  | { kind: 'script'; script: string; params: Record<string, string> }
  | { kind: 'static'; file: string };

/** A path that can never be served: undecodable, NUL, backslash, `..`, or a private name. */
export const REFUSED = 'refused';

/**
 * The scripts folder as a routing tree, like a PHP document root: `index.ts` serves its folder,
 * `a/b.ts` serves `/a/b`, `blog/[slug].ts` serves `/blog/:slug`, `[id]/edit.ts` serves
 * `/:id/edit`. Names starting with `_` or `.` are private; `.ts` sources, `.d.ts`, `.mjs` and
 * `.cjs` (server-side JavaScript: partials), their backups and editor files (`static-files.ts`)
 * and `tsconfig.json` are never served; other files are static assets when their extension is
 * one of `staticExtensions` (a `.js` too: a browser's script). Symbolic links are skipped, so
 * nothing outside the folder is reachable.
 *
 * Built from one scan of the folder, so a request costs no file-system call to route.
 */
export class RouteTable {
  readonly root: string;
  readonly #staticExtensions: readonly string[];
  #tree: Folder;

  constructor(root: string, staticExtensions: readonly string[] = DEFAULT_STATIC_EXTENSIONS) {
    this.root = root;
    this.#staticExtensions = staticExtensions;
    this.#tree = scan(root, '', staticExtensions);
  }

  /** Scans the folder again (after files were added or removed). */
  refresh(): void {
    this.#tree = scan(this.root, '', this.#staticExtensions);
  }

  /**
   * Routes a URL path (still percent-encoded, without the query). Returns `REFUSED` for paths
   * that try to leave the folder or reach private files, `undefined` when nothing matches.
   */
  resolve(urlPath: string): Route | typeof REFUSED | undefined {
    const segments = decodeSegments(urlPath);
    if (segments === undefined) return REFUSED;
    return match(this.#tree, segments, 0, {});
  }
}

interface Folder {
  /** `name` (without `.ts`) -> script path relative to the root. */
  scripts: Map<string, string>;
  statics: Map<string, string>;
  folders: Map<string, Folder>;
  index?: string;
  dynamicScript?: { param: string; script: string };
  dynamicFolder?: { param: string; folder: Folder };
}

const DYNAMIC = /^\[([A-Za-z_$][\w$]*)\]$/;
const NEVER_SERVED = new Set(['tsconfig.json', 'jsconfig.json', 'package.json', 'package-lock.json', 'node_modules']);
/** Sources that run on the server: never sent, whatever their name. */
const SERVER_SOURCE = /\.(?:ts|mjs|cjs)$/;

/**
 * True when the router serves the file `relative` (to the scripts folder, `/`-separated) to
 * anyone as a static asset, as it is: the scripts sandbox refuses such a file as a partial, whose
 * source (with any key in it) would be downloadable.
 */
export function isServedAsStatic(relative: string): boolean {
  const segments = relative.split('/');
  const name = segments[segments.length - 1] as string;
  if (SERVER_SOURCE.test(name)) return false;
  return segments.every((segment) => !isPrivate(segment) && !NEVER_SERVED.has(segment));
}

function scan(root: string, relative: string, staticExtensions: readonly string[]): Folder {
  const folder: Folder = { scripts: new Map(), statics: new Map(), folders: new Map() };
  for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
    const name = entry.name;
    if (isPrivate(name) || NEVER_SERVED.has(name)) continue;
    const file = relative ? `${relative}/${name}` : name;
    if (entry.isDirectory()) {
      const child = scan(root, file, staticExtensions);
      const dynamic = DYNAMIC.exec(name);
      if (dynamic) folder.dynamicFolder = { param: dynamic[1] as string, folder: child };
      else folder.folders.set(name, child);
    } else if (entry.isFile()) {
      if (!name.endsWith('.ts') || name.endsWith('.d.ts')) {
        if (isStaticAsset(name, staticExtensions)) folder.statics.set(name, file);
        continue;
      }
      const base = name.slice(0, -3);
      const dynamic = DYNAMIC.exec(base);
      if (base === 'index') folder.index = file;
      if (dynamic) folder.dynamicScript = { param: dynamic[1] as string, script: file };
      else folder.scripts.set(base, file);
    }
  }
  return folder;
}

function isPrivate(name: string): boolean {
  return name.startsWith('_') || name.startsWith('.');
}

/** Splits and decodes a URL path once; `undefined` when it is unsafe. */
function decodeSegments(urlPath: string): string[] | undefined {
  if (!urlPath.startsWith('/')) return undefined;
  const segments: string[] = [];
  for (const encoded of urlPath.slice(1).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(encoded);
    } catch {
      return undefined;
    }
    // Decoded exactly once: `%252e%252e` stays the literal name `%2e%2e`, never `..`.
    if (segment.includes('/') || segment.includes('\\') || segment.includes('\0')) return undefined;
    if (segment === '..' || segment === '.' || (segment !== '' && isPrivate(segment))) return undefined;
    segments.push(segment);
  }
  // Only the last segment may be empty (a trailing slash).
  if (segments.slice(0, -1).includes('')) return undefined;
  return segments;
}

function match(folder: Folder, segments: string[], i: number, params: Record<string, string>): Route | undefined {
  if (i === segments.length) return folder.index ? { kind: 'script', script: folder.index, params } : undefined;
  const segment = segments[i] as string;
  const last = i === segments.length - 1;
  if (last) {
    if (segment === '') return folder.index ? { kind: 'script', script: folder.index, params } : undefined;
    const script = folder.scripts.get(segment);
    if (script) return { kind: 'script', script, params };
    const file = folder.statics.get(segment);
    if (file) return { kind: 'static', file };
  }
  const child = folder.folders.get(segment);
  if (child) {
    const found = match(child, segments, i + 1, params);
    if (found) return found;
  }
  if (last && folder.dynamicScript) {
    return {
      kind: 'script',
      script: folder.dynamicScript.script,
      params: { ...params, [folder.dynamicScript.param]: segment },
    };
  }
  if (folder.dynamicFolder && segment !== '') {
    return match(folder.dynamicFolder.folder, segments, i + 1, { ...params, [folder.dynamicFolder.param]: segment });
  }
  return undefined;
}

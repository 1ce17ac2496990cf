import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { FileChange } from './messages.js';

/** Settle time: editors write a file in several steps (truncate, write, rename). */
const DEBOUNCE_MS = 15;
const IGNORED = /(^|[/\\])(node_modules|\.git)([/\\]|$)/;

/**
 * Watches the scripts folder (chokidar 5) and reports changes in batches: a burst of writes to
 * one file becomes one change, an editor's write-temp-then-rename becomes a `change` (chokidar's
 * `atomic`).
 */
export class ScriptWatcher {
  readonly ready: Promise<void>;
  readonly #root: string;
  readonly #watcher: FSWatcher;
  readonly #pending = new Map<string, FileChange['kind']>();
  readonly #onChanges: (changes: FileChange[]) => void;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(root: string, onChanges: (changes: FileChange[]) => void) {
    this.#root = root;
    this.#onChanges = onChanges;
    this.#watcher = watch(root, { ignoreInitial: true, atomic: true, ignored: (file) => IGNORED.test(file) });
    for (const kind of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const) {
      this.#watcher.on(kind, (file: string) => this.#record(file, kind));
    }
    this.ready = new Promise((resolve) => this.#watcher.once('ready', () => resolve()));
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearTimeout(this.#timer);
      this.#pending.clear();
      await this.#watcher.close();
    })();
    return this.#closing;
  }

  #record(absolute: string, kind: FileChange['kind']): void {
    if (this.#closing) return;
    const file = path.relative(this.#root, absolute).split(path.sep).join('/');
    const previous = this.#pending.get(file);
    // Within one batch, a file that was added and then changed is still new; one removed and
    // added again only changed.
    const merged = previous === 'add' && kind === 'change' ? 'add' : previous === 'unlink' && kind === 'add' ? 'change' : kind;
    this.#pending.set(file, merged);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#flush(), DEBOUNCE_MS);
  }

  #flush(): void {
    const changes = [...this.#pending].map(([file, kind]) => ({ file, kind }));
    this.#pending.clear();
    if (changes.length > 0) this.#onChanges(changes);
  }
}

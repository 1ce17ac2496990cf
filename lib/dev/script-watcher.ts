import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { FileChange } from '../../runner/messages.js';

/** Settle time: editors write a file in several steps (truncate, write, rename). */
const DEBOUNCE_MS = 15;
/**
 * When edited files are reported a second time. chokidar drops a change that follows another
 * within 50 ms, and once missed a write just after an atomic rename; the first report may also
 * have seen a file half written (truncated, not yet filled).
 */
const RECHECK_MS = 120;
const EMPTY = 'empty';
/** Files up to this size are told apart by content. */
const HASHED_BYTES = 1024 * 1024;
// `.uploads`: the temporary files of uploads (lib/uploads/), written chunk by chunk, never scripts.
const IGNORED = /(^|[/\\])(node_modules|\.git|\.uploads)([/\\]|$)/;

/** Hears a batch of changes; `recheck` when it is the second report of edited files. */
export type ChangesListener = (changes: FileChange[], recheck: boolean) => void;

/**
 * Dev: watches the scripts folder (chokidar 5) and reports changes in batches: a burst of writes
 * to one file becomes one change, an editor's write-temp-then-rename becomes a `change` (chokidar's
 * `atomic`). Edited and added files are reported once more a moment later (`recheck`), so a
 * listener that compares contents sees the file as finally written.
 */
export class ScriptWatcher {
  readonly ready: Promise<void>;
  readonly #root: string;
  readonly #watcher: FSWatcher;
  readonly #pending = new Map<string, FileChange['kind']>();
  readonly #onChanges: ChangesListener;
  #timer: NodeJS.Timeout | undefined;
  readonly #rechecks = new Set<NodeJS.Timeout>();
  /** What each file held (`#stamp`) when it was last reported. */
  readonly #reported = new Map<string, string>();
  #closing: Promise<void> | undefined;

  readonly #recheckMs: number;

  /** `recheckMs`: when edited files are looked at again (tests shorten it). */
  constructor(root: string, onChanges: ChangesListener, recheckMs = RECHECK_MS) {
    this.#recheckMs = recheckMs;
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
      for (const timer of this.#rechecks) clearTimeout(timer);
      this.#rechecks.clear();
      this.#pending.clear();
      this.#reported.clear();
      await this.#watcher.close();
    })();
    return this.#closing;
  }

  #record(absolute: string, kind: FileChange['kind']): void {
    if (this.#closing !== undefined) return;
    const file = path.relative(this.#root, absolute).split(path.sep).join('/');
    const previous = this.#pending.get(file);
    // Within one batch, a file that was added and then changed is still new; one removed and
    // added again only changed.
    const merged =
      previous === 'add' && kind === 'change' ? 'add' : previous === 'unlink' && kind === 'add' ? 'change' : kind;
    this.#pending.set(file, merged);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#flush(), DEBOUNCE_MS);
  }

  #flush(): void {
    const pending = [...this.#pending].map(([file, kind]) => ({ file, kind }));
    this.#pending.clear();
    // Every write is looked at again, reported or not: chokidar drops a change that follows
    // another within 50 ms, so the next save may come without an event of its own.
    this.#recheckLater(
      pending.filter((change) => change.kind === 'change' || change.kind === 'add'),
      true,
    );
    // A file changed as it was last reported is no news: chokidar may report one write twice
    // (created, then written), and each report reloads the dev error pages.
    const changes = pending.filter((change) => change.kind !== 'change' || !this.#same(change.file));
    if (changes.length === 0) return;
    for (const change of changes) {
      if (change.kind === 'unlink' || change.kind === 'unlinkDir') this.#reported.delete(change.file);
      else if (change.kind !== 'addDir') this.#reported.set(change.file, this.#stamp(change.file));
    }
    this.#onChanges(changes, false);
  }

  /**
   * Looks at `edits` again in a moment. A file written since it was reported, or (on the first
   * look again) empty then, maybe truncated and about to be written, is reported again, and
   * looked at once more after; a file left as it was is not, so one save reloads once.
   */
  #recheckLater(edits: FileChange[], firstLook: boolean): void {
    if (edits.length === 0) return;
    const timer = setTimeout(() => {
      this.#rechecks.delete(timer);
      if (this.#closing !== undefined) return;
      const again = edits.filter(
        (change) => (firstLook && this.#reported.get(change.file) === EMPTY) || !this.#same(change.file),
      );
      if (again.length === 0) return;
      for (const change of again) this.#reported.set(change.file, this.#stamp(change.file));
      this.#onChanges(again, true);
      this.#recheckLater(again, false);
    }, this.#recheckMs);
    timer.unref();
    this.#rechecks.add(timer);
  }

  /** True when `file` holds what it held when it was last reported. */
  #same(file: string): boolean {
    const reported = this.#reported.get(file);
    return reported !== undefined && reported !== '' && reported === this.#stamp(file);
  }

  /**
   * What the file holds: a hash of its content, `EMPTY` for an empty file, '' when it cannot be
   * read. Content, not size and modification time: the kernel stamps writes with a coarse clock
   * (a tick of some milliseconds), so two quick saves of the same length look alike by stat. A
   * file larger than `HASHED_BYTES` (an asset, not a script) goes by size and time.
   */
  #stamp(file: string): string {
    const full = path.join(this.#root, file);
    try {
      const { size, mtimeMs } = statSync(full);
      if (size === 0) return EMPTY;
      if (size > HASHED_BYTES) return `${size}:${mtimeMs}`;
      return createHash('sha1').update(readFileSync(full)).digest('base64');
    } catch {
      return '';
    }
  }
}

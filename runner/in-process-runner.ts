import type { CloseReason, FileChange, HostToRunner, RunnerToHost, ScriptRunner } from './messages.js';
import { ScriptWatcher } from './watcher.js';
import { watchSandboxFailures } from './failure-guard.js';
import { ScriptError } from './script-error.js';
import { ScriptSandbox, type SandboxSettings } from './sandbox/script-sandbox.js';

export interface RunnerSettings extends SandboxSettings {
  /** Dev: watch the scripts folder; a changed script gets a new sandbox and its pages reload. */
  watch: boolean;
  /**
   * Catch scripts' stray failures (a rejection nobody handled, a throw in a Node callback) with
   * process-wide listeners. Only for whoever owns the process or thread: a worker, the CLI.
   */
  guardProcess: boolean;
}

/** How long a file found empty is given to be written before it counts as changed. */
const EMPTY_FILE_RETRY_MS = 50;
/** When a changed file is looked at a second time. */
const RECHECK_MS = 120;

/**
 * Runs scripts in this process: one `ScriptSandbox` per script, loaded on its first render,
 * and a map from each live page to the sandbox that holds it.
 *
 * It speaks only `HostToRunner` / `RunnerToHost` messages, so a worker-thread runner can
 * replace it without the host noticing.
 */
export class InProcessRunner implements ScriptRunner {
  readonly #settings: RunnerSettings;
  readonly #sandboxes = new Map<string, ScriptSandbox>();
  readonly #pages = new Map<string, ScriptSandbox>();
  /** Renders in progress, renderId -> pageId, to forget pages that turn out not to be live. */
  readonly #rendering = new Map<number, string>();
  #listener: (message: RunnerToHost) => void = () => {};
  #closing: Promise<void> | undefined;
  readonly #stopWatching: () => void;
  readonly #watcher: ScriptWatcher | undefined;

  constructor(settings: RunnerSettings) {
    this.#settings = settings;
    this.#watcher = settings.watch ? new ScriptWatcher(settings.root, (changes) => this.#filesChanged(changes)) : undefined;
    this.#stopWatching = settings.guardProcess ? this.#guardProcess() : () => {};
  }

  #guardProcess(): () => void {
    return watchSandboxFailures({
      report: (text, error) => this.#listener({ type: 'log', script: '', level: 'error', text, error }),
      sourceStack: (stack) => {
        for (const sandbox of this.#sandboxes.values()) {
          const mapped = sandbox.sourceStack(stack);
          if (mapped !== undefined) return mapped;
        }
        return undefined;
      },
    });
  }

  onMessage(listener: (message: RunnerToHost) => void): void {
    this.#listener = listener;
  }

  post(message: HostToRunner): void {
    switch (message.type) {
      case 'render':
        return this.#render(message.renderId, message.script, message.pageId, message);
      case 'event': {
        const outcome = this.#pages.get(message.pageId)?.dispatch(message.pageId, message.name, message.data) ?? 'gone';
        if (outcome === 'full') this.#emit({ type: 'event-refused', pageId: message.pageId, name: message.name, reason: 'queue-full' });
        // The host thought the page alive: tell it otherwise (unless it is closing, and will say so).
        if (outcome === 'gone' && !this.#pages.has(message.pageId)) this.#emit({ type: 'page-closed', pageId: message.pageId, reason: 'closed-by-script' });
        return;
      }
      case 'close-pages':
        return this.#closePages(message.pageIds, message.reason);
      case 'deliver':
        for (const sandbox of this.#sandboxes.values()) sandbox.deliver(message.channel, message.data);
        return;
      default: {
        const unknown: never = message;
        throw new Error(`unknown runner message ${JSON.stringify(unknown)}`);
      }
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#closeAll();
    return this.#closing;
  }

  /**
   * Files changed, as a watcher elsewhere saw them (the worker pool watches once for all its
   * workers): handled as this runner's own watcher's changes are.
   */
  filesChanged(changes: FileChange[]): void {
    this.#filesChanged(changes);
  }

  /** Resolves when the watcher (dev) has scanned the folder: later changes will be seen. */
  ready(): Promise<void> {
    return this.#watcher?.ready ?? Promise.resolve();
  }

  /**
   * Dev: every sandbox that runs a changed file (the script, or a partial it imports at any
   * depth) is let go; its pages close (`reloaded`, or `deleted`) and their browsers reload
   * with the new code. A file saved with the same content changes nothing.
   */
  #filesChanged(changes: FileChange[], retried = false): void {
    if (this.#closing) return;
    let retired = false;
    for (const change of changes) {
      if (!change.file.endsWith('.ts')) continue;
      for (const [script, sandbox] of [...this.#sandboxes]) {
        if (!sandbox.uses(change.file)) continue;
        if (change.kind === 'change') {
          const now = sandbox.compare(change.file);
          if (now === 'same') continue;
          // Truncated, maybe about to be written: look again in a moment before reloading.
          if (now === 'empty' && !retried) {
            setTimeout(() => this.#filesChanged([change], true), EMPTY_FILE_RETRY_MS).unref();
            continue;
          }
        }
        this.#retire(script, sandbox, change.kind === 'unlink' && change.file === script ? 'deleted' : 'reloaded');
        retired = true;
      }
    }
    if (retried && !retired) return;
    if (!retried) {
      // chokidar drops a change that follows another within 50 ms (and the first may have seen
      // the file half written): look once more, a little later.
      const edits = changes.filter((change) => change.kind === 'change' || change.kind === 'add');
      if (edits.length > 0) setTimeout(() => this.#filesChanged(edits, true), RECHECK_MS).unref();
    }
    this.#emit({ type: 'files-changed', changes });
  }

  #retire(script: string, sandbox: ScriptSandbox, reason: CloseReason): void {
    this.#sandboxes.delete(script);
    const pageIds = [...this.#pages].filter(([, owner]) => owner === sandbox).map(([pageId]) => pageId);
    if (pageIds.length > 0) this.#closePages(pageIds, reason);
    sandbox.dispose();
  }

  async #closeAll(): Promise<void> {
    const open = new Set(this.#pages.keys());
    if (open.size > 0) {
      const allClosed = new Promise<void>((resolve) => {
        const listener = this.#listener;
        this.#listener = (message) => {
          listener(message);
          if (message.type === 'page-closed' && open.delete(message.pageId) && open.size === 0) resolve();
        };
      });
      this.#closePages([...open], 'shutdown');
      await allClosed;
    }
    for (const sandbox of this.#sandboxes.values()) sandbox.dispose();
    this.#sandboxes.clear();
    this.#stopWatching();
    await this.#watcher?.close();
  }

  /** One call into each sandbox for all its pages; unknown pages are reported closed at once. */
  #closePages(pageIds: readonly string[], reason: CloseReason): void {
    const bySandbox = new Map<ScriptSandbox, string[]>();
    for (const pageId of pageIds) {
      const sandbox = this.#pages.get(pageId);
      if (!sandbox) {
        this.#emit({ type: 'page-closed', pageId, reason });
        continue;
      }
      const ids = bySandbox.get(sandbox);
      if (ids) ids.push(pageId);
      else bySandbox.set(sandbox, [pageId]);
    }
    for (const [sandbox, ids] of bySandbox) {
      for (const pageId of sandbox.closePages(ids, reason)) this.#emit({ type: 'page-closed', pageId, reason });
    }
  }

  #render(renderId: number, script: string, pageId: string, message: Extract<HostToRunner, { type: 'render' }>): void {
    let sandbox = this.#sandboxes.get(script);
    if (!sandbox) {
      try {
        sandbox = new ScriptSandbox(this.#settings, script, (out) => this.#emit(out));
      } catch (error) {
        const info = error instanceof ScriptError ? error.info : { code: 'LOAD_ERROR', name: 'Error', message: String(error), file: script };
        this.#emit({ type: 'render-failed', renderId, error: info });
        return;
      }
      this.#sandboxes.set(script, sandbox);
    }
    // Known before the render returns: a script may push, or close itself, while rendering.
    this.#pages.set(pageId, sandbox);
    this.#rendering.set(renderId, pageId);
    try {
      sandbox.render(renderId, pageId, message.request);
    } catch (error) {
      // Not the script's fault (a request too deeply nested to serialize, say): still an answer.
      const text = error instanceof Error ? error.message : String(error);
      this.#emit({ type: 'render-failed', renderId, error: { code: 'RENDER_ERROR', name: 'Error', message: `the request could not be handed to ${script}: ${text}`, file: script } });
    }
  }

  #emit(message: RunnerToHost): void {
    if (message.type === 'page-closed') {
      this.#pages.delete(message.pageId);
      // A render that never finished (timed out in the host) is over too.
      for (const [renderId, pageId] of this.#rendering) if (pageId === message.pageId) this.#rendering.delete(renderId);
    }
    if (message.type === 'rendered' || message.type === 'render-failed') {
      const pageId = this.#rendering.get(message.renderId);
      this.#rendering.delete(message.renderId);
      if (pageId !== undefined && (message.type === 'render-failed' || !message.live)) this.#pages.delete(pageId);
    }
    this.#listener(message);
  }
}

import type { CloseReason, FileChange, HostToRunner, RunnerToHost, ScriptErrorInfo, ScriptRunner } from './messages.js';
import { watchSandboxFailures } from './failure-guard.js';
import { closeCodeConstructors } from './code-constructors.js';
import { installGuard } from './packages/forbidden-guard.js';
import { PageHomes } from './page-homes.js';
import { requestRefused } from './render-request.js';
import { SharedCallers } from './shared-callers.js';
import { ScriptError } from './script-error.js';
import { ScriptSandbox, type SandboxSettings } from './sandbox/script-sandbox.js';

export interface RunnerSettings extends SandboxSettings {
  /**
   * Catch scripts' stray failures (a rejection nobody handled, a throw in a Node callback) with
   * process-wide listeners. Only for whoever owns the process or thread: a worker, the CLI.
   */
  guardProcess: boolean;
  /**
   * Told when it starts and ends building a script's sandbox, which runs none of the script's
   * code: a worker's watchdog does not count that time against the script (worker-slot.ts).
   */
  sandboxBuild?: { start(): void; end(): void };
}

/**
 * How the runner hands its messages to its listener:
 * - `later`, for the host's own thread (`workers: 0`): queued and handed over in a microtask, in
 *   order, so that, as from a worker, no answer comes inside `post()`;
 * - `at-once`, in a worker thread, whose listener posts each message to the pool (a port is
 *   itself asynchronous): what a script sent before it hangs in a loop has left already.
 */
export type Delivery = 'later' | 'at-once';

/**
 * Runs scripts in this thread: one `ScriptSandbox` per script, loaded on its first render, and
 * where each live page lives.
 *
 * It speaks only `HostToRunner` / `RunnerToHost` messages, so a worker-thread runner can
 * replace it without the host noticing.
 */
export class InProcessRunner implements ScriptRunner {
  readonly #settings: RunnerSettings;
  readonly #sandboxes = new Map<string, ScriptSandbox>();
  readonly #homes = new PageHomes<ScriptSandbox>();
  readonly #sharedCallers = new SharedCallers<ScriptSandbox>();
  #listener: (message: RunnerToHost) => void = () => {};
  readonly #outbox: RunnerToHost[] = [];
  #flushing = false;
  #closing: Promise<void> | undefined;
  readonly #stopWatching: () => void;

  readonly #delivery: Delivery;

  constructor(settings: RunnerSettings, delivery: Delivery) {
    // As early as this thread can: the guard then sees what the app requires from now on.
    installGuard();
    this.#settings = settings;
    this.#delivery = delivery;
    this.#stopWatching = settings.guardProcess ? this.#guardProcess() : () => {};
    // Where the thread is Pagewire's own (a worker, the CLI), a leaked host object's
    // `.constructor.constructor` no longer compiles code: a wall behind vm2's.
    if (settings.guardProcess) closeCodeConstructors();
  }

  #guardProcess(): () => void {
    return watchSandboxFailures({
      report: (text, error, pageId) => {
        const script = pageId === undefined ? '' : (this.#homes.scriptOf(pageId) ?? '');
        this.#emit({ type: 'log', script, ...(pageId === undefined ? {} : { pageId }), level: 'error', text, error });
      },
      scriptOf: (pageId) => this.#homes.scriptOf(pageId),
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
        return this.#render(message);
      case 'event': {
        const sandbox = this.#homes.homeOf(message.pageId);
        const { pageId, name, seq } = message;
        const outcome = sandbox?.dispatch(pageId, name, message.data, seq, message.key) ?? 'gone';
        if (outcome === 'full') this.#emit({ type: 'event-refused', pageId, name, seq, reason: 'queue-full' });
        // The host thought the page alive: tell it otherwise (unless it is closing, and will say so).
        if (outcome === 'gone' && !sandbox) {
          this.#emit({ type: 'page-closed', pageId: message.pageId, reason: 'closed-by-script' });
        }
        return;
      }
      case 'close-pages':
        return this.#closePages(message.pageIds, message.reason);
      case 'deliver':
        for (const sandbox of this.#sandboxes.values()) sandbox.deliver(message.channel, message.data);
        return;
      case 'files-changed':
        return this.#filesChanged(message.changes, message.recheck);
      case 'shared-answer':
        // To the sandbox that asked; a page gone meanwhile drops it there.
        this.#sharedCallers.answered(message.pageId)?.sharedAnswer(message.pageId, message.callId, message.answer);
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
   * Dev: every sandbox that runs a changed file (the script, or a partial it imports at any
   * depth) is let go; its pages close (`reloaded`, or `deleted`) and their browsers reload
   * with the new code. A file saved with the same content changes nothing, and a file found
   * empty waits for the second look: an editor may truncate a file an instant before writing it.
   */
  #filesChanged(changes: readonly FileChange[], recheck: boolean): void {
    if (this.#closing !== undefined) return;
    for (const change of changes) {
      if (!change.file.endsWith('.ts')) continue;
      for (const [script, sandbox] of [...this.#sandboxes]) {
        if (!sandbox.uses(change.file)) continue;
        // An `add` may be a file deleted and written again: its content decides too.
        if (change.kind === 'change' || change.kind === 'add') {
          const now = sandbox.compare(change.file);
          if (now === 'same' || (now === 'empty' && !recheck)) continue;
        }
        this.#retire(script, sandbox, change.kind === 'unlink' && change.file === script ? 'deleted' : 'reloaded');
      }
    }
  }

  #retire(script: string, sandbox: ScriptSandbox, reason: CloseReason): void {
    this.#sandboxes.delete(script);
    const pageIds = this.#homes.pagesIn(sandbox);
    if (pageIds.length > 0) this.#closePages(pageIds, reason);
    sandbox.dispose();
  }

  async #closeAll(): Promise<void> {
    const open = new Set([...this.#homes.entries()].map(([pageId]) => pageId));
    if (open.size > 0) {
      const allClosed = new Promise<void>((resolve) => {
        const listener = this.#listener;
        this.#listener = (message) => {
          // Counted before the listener runs: a listener that throws must not hold the shutdown.
          if (message.type === 'page-closed' && open.delete(message.pageId) && open.size === 0) resolve();
          listener(message);
        };
      });
      this.#closePages([...open], 'shutdown');
      await allClosed;
    }
    for (const sandbox of this.#sandboxes.values()) sandbox.dispose();
    this.#sandboxes.clear();
    this.#stopWatching();
  }

  /** One call into each sandbox for all its pages; unknown pages are reported closed at once. */
  #closePages(pageIds: readonly string[], reason: CloseReason): void {
    const { byHome, homeless } = this.#homes.group(pageIds);
    for (const pageId of homeless) this.#emit({ type: 'page-closed', pageId, reason });
    for (const [sandbox, ids] of byHome) {
      for (const pageId of sandbox.closePages(ids, reason)) this.#emit({ type: 'page-closed', pageId, reason });
    }
  }

  #render(render: Extract<HostToRunner, { type: 'render' }>): void {
    const { script, pageId, request } = render;
    let sandbox = this.#sandboxes.get(script);
    if (!sandbox) {
      const built = this.#build(script);
      if (!(built instanceof ScriptSandbox)) return this.#emit({ type: 'render-failed', pageId, error: built });
      sandbox = built;
      this.#sandboxes.set(script, sandbox);
    }
    // Known before the render runs: a script may push, or close itself, while rendering.
    this.#homes.place(pageId, sandbox, script);
    try {
      sandbox.render(pageId, request);
    } catch (error) {
      // Not the script's fault (a request too deeply nested to serialize, say): still an answer.
      this.#emit(requestRefused(render, error));
    }
  }

  /** `script`'s sandbox, or why it could not be built (a compile error, a file that cannot be read). */
  #build(script: string): ScriptSandbox | ScriptErrorInfo {
    this.#settings.sandboxBuild?.start();
    try {
      const made: ScriptSandbox = new ScriptSandbox(this.#settings, script, (out) => {
        if (out.type === 'shared-call') this.#sharedCallers.asked(out.pageId, made);
        this.#emit(out);
      });
      return made;
    } catch (error) {
      return error instanceof ScriptError
        ? error.info
        : { code: 'LOAD_ERROR', name: 'Error', message: String(error), file: script };
    } finally {
      this.#settings.sandboxBuild?.end();
    }
  }

  #emit(message: RunnerToHost): void {
    this.#homes.settle(message);
    if (this.#delivery === 'at-once') return this.#listener(message);
    this.#outbox.push(message);
    if (this.#flushing) return;
    this.#flushing = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushing = false;
    const batch = this.#outbox.splice(0);
    for (let i = 0; i < batch.length; i++) {
      try {
        this.#listener(batch[i] as RunnerToHost);
      } catch (error) {
        // A listener that throws loses nothing else: the rest goes in the next flush.
        this.#outbox.unshift(...batch.slice(i + 1));
        if (this.#outbox.length > 0 && !this.#flushing) {
          this.#flushing = true;
          queueMicrotask(() => this.#flush());
        }
        throw error;
      }
    }
  }
}

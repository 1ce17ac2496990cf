import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { HostToRunner, RunnerToHost, ScriptRunner } from '../messages.js';
import type { RunnerSettings } from '../in-process-runner.js';
import { PageHomes } from '../page-homes.js';
import { ScriptError } from '../script-error.js';
import { whereStuck } from './stuck-stack.js';
import { describeTask, TaskLedger, type Task } from './task-ledger.js';
import type { FromWorker, SourceAnswer, ToWorker, WorkerData } from './worker-protocol.js';
import { forLog } from '../../lib/log-text.js';

export interface PoolSettings extends RunnerSettings {
  /** Worker threads; each hosts sandboxes, and a page lives in one worker for its whole life. */
  workers: number;
  /** A render or an event handler that holds its worker longer than this (ms) ends the worker. */
  watchdogTimeout: number;
  /** Heap limit of each worker, in bytes (V8's old generation). */
  maxWorkerHeapBytes: number;
  /**
   * Production: a script's source is read once, and every worker runs that version, even after
   * an edit on the server. Off in dev, where edits are reloaded.
   */
  pinSources: boolean;
}

/** How often a worker says it is alive, and the pool checks. */
const ALIVE_INTERVAL = 100;
/** Workers failing before their first sign of life, in a row, before the pool stops replacing them. */
const MAX_BOOT_FAILURES = 3;
/** How long a closing worker is given to run its pages' close hooks. */
const CLOSE_WAIT = 5000;
/** How long a stuck worker is given to pause for the inspector, so the log can name the line. */
const PAUSE_WAIT = 1000;
/** Worker's resource limits are in MB (2^20 bytes; fractions are kept). */
const MB = 1024 * 1024;

interface Slot {
  worker: Worker;
  /** False until the worker's first `alive`: booting (tsx, vm2) is not a stuck script. */
  started: boolean;
  lastAlive: number;
  /** Tasks sent and maybe not started yet: what a stuck worker is stuck in. */
  tasks: TaskLedger;
  /** The watchdog found it stuck: it is being stopped. */
  stuck: boolean;
  closed: Promise<void> | undefined;
}

/**
 * Runs scripts in a pool of worker threads, behind the same messages as the in-process runner.
 * A worker stuck in a script (`while (true) {}`) or crashed is terminated and replaced; its pages
 * are told (`closed`, reason `crashed`: their browsers reload) and pages in other workers never
 * notice. Pages are spread over the workers, so every core renders.
 */
export class WorkerPool implements ScriptRunner {
  readonly #settings: PoolSettings;
  readonly #slots: Slot[] = [];
  readonly #homes = new PageHomes<Slot>();
  readonly #watchdog: NodeJS.Timeout;
  #listener: (message: RunnerToHost) => void = () => {};
  #closing: Promise<void> | undefined;
  #next = 0;
  #lastCheck = performance.now();
  /** Workers that failed before they ever said they were alive, in a row. */
  #bootFailures = 0;
  /** Production: script sources as first read, so a file is one version for every worker. */
  readonly #sources = new Map<string, SourceAnswer>();

  constructor(settings: PoolSettings) {
    if (!(Number.isInteger(settings.workers) && settings.workers > 0))
      throw new RangeError(`WorkerPool: workers must be a positive integer, got ${settings.workers}`);
    this.#settings = settings;
    for (let i = 0; i < settings.workers; i++) this.#slots.push(this.#start());
    this.#watchdog = setInterval(() => this.#check(), ALIVE_INTERVAL).unref();
  }

  onMessage(listener: (message: RunnerToHost) => void): void {
    this.#listener = listener;
  }

  post(message: HostToRunner): void {
    switch (message.type) {
      case 'render': {
        const slot = this.#pick();
        if (!slot) {
          const message_ = 'no worker thread is running: they could not start (see the log)';
          const error = { code: 'NO_WORKER' as const, name: 'Error', message: message_, file: message.script };
          return this.#answerLater({ type: 'render-failed', pageId: message.pageId, error });
        }
        this.#homes.place(message.pageId, slot, message.script);
        return this.#send(slot, message, { what: 'the render', script: message.script, pageId: message.pageId });
      }
      case 'event': {
        const slot = this.#homes.homeOf(message.pageId);
        if (!slot) return this.#answerLater({ type: 'page-closed', pageId: message.pageId, reason: 'crashed' });
        const script = this.#homes.scriptOf(message.pageId);
        return this.#send(slot, message, { what: `event '${forLog(message.name)}'`, script, pageId: message.pageId });
      }
      case 'close-pages': {
        const { byHome, homeless } = this.#homes.group(message.pageIds);
        for (const pageId of homeless) this.#answerLater({ type: 'page-closed', pageId, reason: message.reason });
        for (const [slot, pageIds] of byHome) {
          this.#send(slot, { ...message, pageIds }, { what: `closing ${pageIds.length} page(s)` });
        }
        return;
      }
      case 'deliver':
        // Subscribers may live in any worker.
        for (const slot of this.#slots) this.#send(slot, message, { what: `channel '${message.channel}'` });
        return;
      case 'files-changed':
        // Every worker may run a sandbox of a changed file.
        for (const slot of this.#slots) this.#send(slot, message, { what: 'files changed' });
        return;
      default: {
        const unknown: never = message;
        throw new Error(`unknown runner message ${JSON.stringify(unknown)}`);
      }
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#watchdog);
      await Promise.all(this.#slots.map((slot) => this.#closeSlot(slot)));
    })();
    return this.#closing;
  }

  #start(): Slot {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const flag = new Int32Array(signal);
    port1.on('message', (file: string) => {
      port1.postMessage(this.#source(file));
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
    port1.unref();
    const { root, forbiddenModules, env, reservedEvents, maxQueuedEvents, fsJail } = this.#settings;
    // The worker's runner guards its own thread; the pool's `guardProcess` is about this one.
    const settings = { root, forbiddenModules, env, reservedEvents, maxQueuedEvents, fsJail };
    const progress = new SharedArrayBuffer(8);
    const data: WorkerData = { settings, aliveInterval: ALIVE_INTERVAL, sources: port2, signal, progress };
    const resourceLimits = { maxOldGenerationSizeMb: this.#settings.maxWorkerHeapBytes / MB };
    const options = { workerData: data, transferList: [port2], resourceLimits };
    const worker = import.meta.url.endsWith('.ts')
      ? // Run from source (tests, tsx): a worker does not inherit tsx's loader, so it registers
        // it before it loads the TypeScript entry.
        new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => {` +
            ` register(); return import(${JSON.stringify(new URL('./worker-entry.ts', import.meta.url).href)}); })`,
          { ...options, eval: true },
        )
      : new Worker(new URL('./worker-entry.js', import.meta.url), options);
    const slot: Slot = {
      worker,
      started: false,
      lastAlive: performance.now(),
      tasks: new TaskLedger(new Int32Array(progress)),
      stuck: false,
      closed: undefined,
    };
    worker.on('message', (message: FromWorker) => this.#receive(slot, message));
    worker.on('error', (error) => this.#fail(slot, `it failed: ${error.message}`));
    worker.on('exit', (code) => {
      if (!this.#closing && this.#slots.includes(slot)) this.#fail(slot, `it exited (code ${code})`);
    });
    worker.unref();
    return slot;
  }

  /** The worker with the fewest pages, ties in turn; one being stopped only when all are. */
  #pick(): Slot | undefined {
    const running = this.#slots.filter((slot) => !slot.stuck);
    const slots = running.length > 0 ? running : this.#slots;
    if (slots.length === 0) return undefined;
    let best = slots[this.#next++ % slots.length] as Slot;
    for (const slot of slots) if (this.#homes.count(slot) < this.#homes.count(best)) best = slot;
    return best;
  }

  #send(slot: Slot, message: HostToRunner, task: Task): void {
    const out: ToWorker = { kind: 'message', task: slot.tasks.add(task), message };
    slot.worker.postMessage(out);
  }

  #receive(slot: Slot, incoming: FromWorker): void {
    slot.lastAlive = performance.now();
    if (!slot.started) {
      slot.started = true;
      this.#bootFailures = 0;
    }
    if (incoming.kind !== 'message') return;
    this.#emit(incoming.message);
  }

  #emit(message: RunnerToHost): void {
    this.#homes.settle(message);
    this.#listener(message);
  }

  /** An answer the pool gives itself: never inside `post()`, as a worker's would not be. */
  #answerLater(message: RunnerToHost): void {
    queueMicrotask(() => this.#emit(message));
  }

  #source(file: string): SourceAnswer {
    let answer = this.#sources.get(file);
    if (!answer) {
      try {
        answer = { source: readFileSync(path.join(this.#settings.root, file), 'utf8') };
      } catch (error) {
        answer = { error: error instanceof Error ? error.message : String(error) };
      }
      // Kept in production only: a file that could not be read is asked again next time, and in
      // dev the watcher's second looks (a half-written file) must see the disk.
      if ('source' in answer && this.#settings.pinSources) this.#sources.set(file, answer);
    }
    return answer;
  }

  /** The watchdog: a worker silent for longer than the limit is stuck in a script. */
  #check(): void {
    const now = performance.now();
    const late = now - this.#lastCheck > 2 * ALIVE_INTERVAL;
    this.#lastCheck = now;
    if (late) {
      // This thread was held (a long GC, host work): the workers' messages wait in the queue
      // behind this timer. Their silence says nothing this round.
      for (const slot of this.#slots) slot.lastAlive = now;
      return;
    }
    for (const slot of [...this.#slots]) {
      slot.tasks.prune();
      const silent = now - slot.lastAlive;
      if (slot.started && !slot.stuck && silent > this.#settings.watchdogTimeout) void this.#stopStuck(slot);
    }
  }

  /** Reads where the stuck worker is, reports it against the script's line, and replaces the worker. */
  async #stopStuck(slot: Slot): Promise<void> {
    slot.stuck = true;
    // The message it is stuck in; none when it is stuck in a timer, or in code after an await.
    const task = slot.tasks.running() ?? { what: 'a timer, or code after an await' };
    let where = '';
    try {
      const frames = await whereStuck(slot.worker, PAUSE_WAIT);
      const at = frames[0];
      if (at && this.#closing === undefined) {
        where = `, at ${at.file}:${at.line}`;
        // The page's own script is the outermost frame; the loop itself may be in a partial.
        const script = (frames.at(-1) ?? at).file;
        const ours = task.script === script;
        const stack = frames
          .map((frame) => `    at ${frame.functionName || '<top level>'} (${frame.file}:${frame.line})`)
          .join('\n');
        const source = this.#source(at.file);
        const held = `held its worker for more than ${this.#settings.watchdogTimeout} ms without yielding`;
        const what = ours ? task.what : 'a script';
        const message = `${what} ${held}: an endless loop? Its worker was stopped and its pages reload`;
        const error = new ScriptError(
          { code: 'SCRIPT_STUCK', name: 'Error', message, file: at.file, line: at.line, stack },
          'source' in source ? source.source : undefined,
        ).info;
        this.#emit({ type: 'script-error', script, pageId: ours ? task.pageId : undefined, error });
      }
    } finally {
      const held = `a script held it for more than ${this.#settings.watchdogTimeout} ms without yielding`;
      this.#fail(slot, `${held} (${describeTask(task)}${where})`);
    }
  }

  /** Ends a worker that is stuck or gone, tells its pages, and starts another in its place. */
  #fail(slot: Slot, why: string): void {
    const index = this.#slots.indexOf(slot);
    if (index === -1 || this.#closing !== undefined) return;
    if (!slot.started) this.#bootFailures++;
    if (this.#bootFailures > MAX_BOOT_FAILURES) {
      // Workers that cannot even start (too little maxWorkerHeapBytes, say) are not restarted in a
      // loop: the pool shrinks, and says why.
      this.#slots.splice(index, 1);
      const text = `a worker could not start (${why}); ${this.#slots.length} worker(s) left`;
      const error = { code: 'WORKER_START_FAILED' as const, name: 'Error', message: text };
      this.#emit({ type: 'log', script: '', level: 'error', text, error });
    } else {
      this.#slots[index] = this.#start();
    }
    void slot.worker.terminate();
    const pages = this.#homes.pagesIn(slot);
    const scripts = [...new Set(pages.map((pageId) => this.#homes.scriptOf(pageId)))].join(', ') || 'no page';
    const text = `worker stopped and replaced: ${why}; its pages (${scripts}) reload.`;
    const error = { code: 'WORKER_STOPPED' as const, name: 'Error', message: text };
    this.#emit({ type: 'log', script: '', level: 'error', text, error });
    const scriptOf = new Map(pages.map((pageId) => [pageId, this.#homes.scriptOf(pageId) ?? '']));
    const { rendering, live } = this.#homes.evict(slot);
    for (const pageId of rendering) {
      const script = scriptOf.get(pageId) ?? '';
      const message = `the worker rendering ${script} was stopped: ${why}`;
      this.#emit({
        type: 'render-failed',
        pageId,
        error: { code: 'WORKER_STOPPED', name: 'Error', message, file: script },
      });
    }
    for (const pageId of live) this.#emit({ type: 'page-closed', pageId, reason: 'crashed' });
  }

  #closeSlot(slot: Slot): Promise<void> {
    slot.closed ??= new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => void slot.worker.terminate().then(done), CLOSE_WAIT);
      slot.worker.on('message', (message: FromWorker) => {
        if (message.kind === 'closed') void slot.worker.terminate().then(done);
      });
      slot.worker.once('exit', done);
      slot.worker.postMessage({ kind: 'close' } satisfies ToWorker);
    });
    return slot.closed;
  }
}

import type { HostToRunner, RunnerToHost, ScriptRunner } from '../messages.js';
import type { RunnerSettings } from '../in-process-runner.js';
import { PageHomes } from '../page-homes.js';
import { encodedRender } from '../render-request.js';
import { SharedCallers } from '../shared-callers.js';
import { closeWorker } from './close-worker.js';
import { FirstRenders, type RenderMessage } from './first-renders.js';
import { Quarantine } from './quarantine.js';
import { ScriptSources } from './script-sources.js';
import { overMemoryReport, quarantinedRender, quarantineLog, stuckReport } from './stop-reports.js';
import { whereStuck } from './stuck-stack.js';
import { describeTask, type Task } from './task-ledger.js';
import { busy, measureLoad } from './worker-load.js';
import type { FromWorker } from './worker-protocol.js';
import { ALIVE_INTERVAL, type Slot, silenceAllowed, startSlot } from './worker-slot.js';
import { forLog } from '../../lib/log-text.js';

export interface PoolSettings extends RunnerSettings {
  /** Worker threads; each hosts sandboxes, and a page lives in one worker for its whole life. */
  workers: number;
  /** A render or an event handler that holds its worker longer than this (ms) ends the worker. */
  watchdogTimeout: number;
  /** Heap limit of each worker, in bytes (V8's old generation). */
  maxWorkerHeapBytes: number;
  /** Heap and external memory (Buffers) of each worker, in bytes: past it, the worker is ended. */
  maxWorkerMemoryBytes: number;
  /**
   * Production: a script's source is read once, and every worker runs that version, even after
   * an edit on the server. Off in dev, where edits are reloaded.
   */
  pinSources: boolean;
}

/** Workers failing before their first sign of life, in a row, before the pool stops replacing them. */
const MAX_BOOT_FAILURES = 3;
/** How long a closing worker is given to run its pages' close hooks. */
const CLOSE_WAIT = 5000;
/** How long a stuck worker is given to pause for the inspector, so the log can name the line. */
const PAUSE_WAIT = 1000;

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
  readonly #sharedCallers = new SharedCallers<Slot>();
  readonly #watchdog: NodeJS.Timeout;
  #listener: (message: RunnerToHost) => void = () => {};
  #closing: Promise<void> | undefined;
  #next = 0;
  #lastCheck = performance.now();
  /** Workers that failed before they ever said they were alive, in a row. */
  #bootFailures = 0;
  /** Production: script sources as first read, so a file is one version for every worker. */
  readonly #sources: ScriptSources;
  /** Scripts that made a worker stuck or pass its memory limit lately. */
  readonly #quarantine = new Quarantine();
  readonly #firstRenders = new FirstRenders<Slot>();

  constructor(settings: PoolSettings) {
    if (!(Number.isInteger(settings.workers) && settings.workers > 0))
      throw new RangeError(`WorkerPool: workers must be a positive integer, got ${settings.workers}`);
    this.#settings = settings;
    this.#sources = new ScriptSources(settings.root, settings.pinSources);
    for (let i = 0; i < settings.workers; i++) this.#slots.push(this.#start());
    this.#watchdog = setInterval(() => this.#check(), ALIVE_INTERVAL).unref();
  }

  onMessage(listener: (message: RunnerToHost) => void): void {
    this.#listener = listener;
  }

  post(message: HostToRunner): void {
    switch (message.type) {
      case 'render':
        return this.#render(message);
      case 'event': {
        // A live page stays in its worker: its events never move.
        const { pageId, name, seq } = message;
        const slot = this.#homes.homeOf(pageId);
        if (!slot) return this.#answerLater({ type: 'page-closed', pageId, reason: 'crashed' });
        const script = this.#homes.scriptOf(pageId);
        if (this.#quarantine.retryAfter(script) > 0)
          return this.#answerLater({ type: 'event-refused', pageId, name, seq, reason: 'quarantined' });
        return this.#send(slot, message, { what: `event '${forLog(name)}'`, script, pageId });
      }
      case 'close-pages': {
        // Renders still waiting for their script's first are not sent: their pages are homeless.
        this.#firstRenders.drop(new Set(message.pageIds));
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
      case 'shared-answer': {
        // To the worker that asked (a stopped one's calls are forgotten); a page gone drops it there.
        const slot = this.#sharedCallers.answered(message.pageId);
        if (slot) this.#send(slot, message, { what: 'a shared answer', pageId: message.pageId });
        return;
      }
      case 'files-changed':
        // Dev: the fix of a quarantined script may be among them; and any script may loop now.
        this.#quarantine.clear();
        this.#firstRenders.unproveAll();
        // Every worker may run a sandbox of a changed file.
        for (const slot of this.#slots) this.#send(slot, message, { what: 'files changed' });
        return;
      default: {
        const unknown: never = message;
        throw new Error(`unknown runner message ${JSON.stringify(unknown)}`);
      }
    }
  }

  /**
   * A render goes to a worker that answers. It is refused at once when its script is quarantined,
   * and waits when its script is unproven and its first render holds a worker (first-renders.ts).
   */
  #render(unencoded: RenderMessage): void {
    const message = encodedRender(unencoded);
    if (message.type !== 'render') return this.#answerLater(message);
    const { script, pageId } = message;
    const retryAfter = this.#quarantine.retryAfter(script);
    if (retryAfter > 0) return this.#answerLater(quarantinedRender(script, pageId, retryAfter));
    if (this.#firstRenders.hold(message)) return;
    const slot = this.#pick();
    if (!slot) {
      const text = 'no worker thread is running: they could not start (see the log)';
      const error = { code: 'NO_WORKER' as const, name: 'Error', message: text, file: script };
      return this.#answerLater({ type: 'render-failed', pageId, error });
    }
    this.#firstRenders.sent(script, pageId, slot);
    this.#homes.place(pageId, slot, script);
    this.#send(slot, message, { what: 'the render', script, pageId, render: message });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#watchdog);
      await Promise.all(this.#slots.map((slot) => this.#closeSlot(slot)));
    })();
    return this.#closing;
  }

  #start(): Slot {
    return startSlot(this.#settings, this.#sources, {
      message: (slot, message) => this.#receive(slot, message),
      error: (slot, error) => this.#fail(slot, `it failed: ${error.message}`),
      exit: (slot, code) => {
        if (!this.#closing && this.#slots.includes(slot)) this.#fail(slot, `it exited (code ${code})`);
      },
    });
  }

  /**
   * The worker with the fewest pages, ties in turn, among those answering (not held by a script,
   * even one that yields: worker-load.ts); one busy only when all are, being stopped only when all are.
   */
  #pick(): Slot | undefined {
    const now = performance.now();
    const running = this.#slots.filter((slot) => !slot.stuck);
    const answering = running.filter((slot) => !busy(slot.load, slot.lastAlive, now));
    const slots = answering.length > 0 ? answering : running.length > 0 ? running : this.#slots;
    if (slots.length === 0) return undefined;
    let best = slots[this.#next++ % slots.length] as Slot;
    for (const slot of slots) if (this.#homes.count(slot) < this.#homes.count(best)) best = slot;
    return best;
  }

  #send(slot: Slot, message: HostToRunner, task: Task): void {
    slot.outbox.add(slot.tasks.add(task), message);
  }

  #receive(slot: Slot, incoming: FromWorker): void {
    slot.lastAlive = performance.now();
    slot.buildingSince = incoming.kind === 'building' ? slot.lastAlive : undefined;
    if (!slot.started) {
      slot.started = true;
      this.#bootFailures = 0;
    }
    if (incoming.kind === 'over-memory') return this.#stopOverMemory(slot, incoming);
    if (incoming.kind !== 'message') return;
    const { message } = incoming;
    const { type } = message;
    if (type === 'rendered' || type === 'render-failed' || type === 'page-closed') this.#rendered(message.pageId, type);
    if (type === 'shared-call') this.#sharedCallers.asked(message.pageId, slot);
    this.#emit(message);
  }

  /** A worker answered a render: its script is proven (not by a page closed), and renders waiting for it go. */
  #rendered(pageId: string, type: 'rendered' | 'render-failed' | 'page-closed'): void {
    const script = this.#homes.scriptOf(pageId);
    if (script === undefined) return;
    if (type === 'rendered') this.#quarantine.forgive(script);
    const held = this.#firstRenders.ended(script, pageId, type !== 'page-closed');
    if (held.length > 0) queueMicrotask(() => this.#resend(held));
  }

  /** Renders sent again through `post`'s path (quarantine, first renders, a worker that answers). */
  #resend(renders: readonly RenderMessage[]): void {
    if (this.#closing !== undefined) return;
    for (const render of renders) this.#render(render);
  }

  #emit(message: RunnerToHost): void {
    this.#homes.settle(message);
    this.#listener(message);
  }

  /** An answer the pool gives itself: never inside `post()`, as a worker's would not be. */
  #answerLater(message: RunnerToHost): void {
    queueMicrotask(() => this.#emit(message));
  }

  /** The watchdog: a worker silent for longer than the limit is stuck in a script. */
  #check(): void {
    const now = performance.now();
    const late = now - this.#lastCheck > 2 * ALIVE_INTERVAL;
    this.#lastCheck = now;
    for (const slot of this.#slots) measureLoad(slot.load, now);
    // A first render seen yielding (its worker answers) lets the renders that waited for it go.
    for (const first of this.#firstRenders.waiting()) {
      const { load, lastAlive } = first.home;
      if (!first.home.stuck && load.since >= first.since && !busy(load, lastAlive, now))
        this.#resend(this.#firstRenders.release(first));
    }
    if (late) {
      // This thread was held (a long GC, host work): the workers' messages wait in the queue
      // behind this timer. Their silence says nothing this round.
      for (const slot of this.#slots) slot.lastAlive = now;
      return;
    }
    for (const slot of [...this.#slots]) {
      slot.tasks.prune();
      const silent = now - slot.lastAlive;
      const allowed = silenceAllowed(slot, this.#settings.watchdogTimeout);
      if (slot.started && !slot.stuck && silent > allowed) void this.#stopStuck(slot);
    }
  }

  /** Reads where the stuck worker is, reports it against the script's line, and replaces the worker. */
  async #stopStuck(slot: Slot): Promise<void> {
    slot.stuck = true;
    // The message it is stuck in; none when it is stuck in a timer, or in code after an await.
    const task = slot.tasks.running() ?? { what: 'a timer, or code after an await' };
    let where = '';
    // The script quarantined: the outermost script frame's (a partial may hold the loop), or the task's.
    let culprit = task.script;
    try {
      const frames = await whereStuck(slot.worker, PAUSE_WAIT);
      const [at] = frames;
      if (at && this.#closing === undefined) {
        where = `, at ${at.file}:${at.line}`;
        const source = this.#sources.read(at.file);
        const report = stuckReport(
          task,
          [at, ...frames.slice(1)],
          this.#settings.watchdogTimeout,
          'source' in source ? source.source : undefined,
        );
        culprit = report.script;
        this.#emit(report);
      }
    } finally {
      const held = `a script held it for more than ${this.#settings.watchdogTimeout} ms without yielding`;
      if (culprit) this.#quarantineScript(culprit, `made a worker stuck${where}`);
      this.#fail(slot, `${held} (${describeTask(task)}${where})`);
    }
  }

  /**
   * A worker passed its memory limit and waits to be terminated: reported against the script of
   * the task it ran, or last started (memory found on a timer grew after an await, or in a timer).
   */
  #stopOverMemory(slot: Slot, used: Extract<FromWorker, { kind: 'over-memory' }>): void {
    if (slot.stuck) return;
    slot.stuck = true;
    const task = slot.tasks.lastStarted() ?? { what: 'a timer, or code after an await' };
    const { why, limit, error } = overMemoryReport(task, used, this.#settings.maxWorkerMemoryBytes);
    if (task.script && error) {
      this.#emit({ type: 'script-error', script: task.script, pageId: task.pageId, error });
      this.#quarantineScript(task.script, `took a worker's memory past ${limit}`);
    }
    this.#fail(slot, why);
  }

  /** Refuses the script's renders and events for a while, and says so in the log. */
  #quarantineScript(script: string, why: string): void {
    if (this.#closing !== undefined) return;
    const ms = this.#quarantine.add(script);
    this.#firstRenders.unprove(script);
    this.#emit(quarantineLog(script, ms, why));
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
    slot.outbox.discard();
    void slot.worker.terminate();
    this.#sharedCallers.drop(slot);
    const pages = this.#homes.pagesIn(slot);
    const scripts = [...new Set(pages.map((pageId) => this.#homes.scriptOf(pageId)))].join(', ') || 'no page';
    const text = `worker stopped and replaced: ${why}; its pages (${scripts}) reload.`;
    const error = { code: 'WORKER_STOPPED' as const, name: 'Error', message: text };
    this.#emit({ type: 'log', script: '', level: 'error', text, error });
    const scriptOf = new Map(pages.map((pageId) => [pageId, this.#homes.scriptOf(pageId) ?? '']));
    // Renders the worker never started ran no script code: they go to another worker, not fail.
    // One it started may have done anything once already (written a file, charged a card): it fails.
    const unstarted = slot.tasks.unstarted().flatMap((task) => (task.render ? [task.render] : []));
    const again = new Set(unstarted.map((render) => render.pageId));
    // Renders that waited for a first render in this worker: sent again, after the unstarted ones.
    const held = this.#firstRenders
      .in(slot)
      .flatMap((first) => this.#firstRenders.ended(first.script, first.pageId, false));
    const { rendering, live } = this.#homes.evict(slot);
    for (const pageId of rendering) {
      if (again.has(pageId)) continue;
      const script = scriptOf.get(pageId) ?? '';
      const message = `the worker rendering ${script} was stopped: ${why}`;
      this.#emit({
        type: 'render-failed',
        pageId,
        error: { code: 'WORKER_STOPPED', name: 'Error', message, file: script },
      });
    }
    for (const pageId of live) this.#emit({ type: 'page-closed', pageId, reason: 'crashed' });
    this.#resend([...unstarted, ...held]);
  }

  #closeSlot(slot: Slot): Promise<void> {
    slot.outbox.flush();
    slot.closed ??= closeWorker(slot.worker, CLOSE_WAIT);
    return slot.closed;
  }
}

import path from 'node:path';
import { type Delivery, InProcessRunner, type RunnerSettings } from '../../runner/in-process-runner.js';
import type { RequestData, RunnerToHost } from '../../runner/messages.js';
import { DEFAULT_FORBIDDEN_MODULES, DEFAULT_OPTIONS } from '../../lib/options.js';
import { RESERVED_EVENT_NAMES } from '../../protocol/wire.js';
import { FAILURE_REPORT_MS, realDelay } from './fixtures.js';

/** A real in-process runner over a scripts folder, with every message it sent kept in order. */
export class RunnerHarness {
  readonly runner: InProcessRunner;
  readonly messages: RunnerToHost[] = [];
  #pageId = 0;
  readonly #eventSeqs = new Map<string, number>();

  /** `settings` over the harness's own; `delivery`: `later` as in the host's thread, or `at-once` as in a worker. */
  constructor(
    root: string,
    { settings = {}, delivery = 'later' }: { settings?: Partial<RunnerSettings>; delivery?: Delivery } = {},
  ) {
    this.runner = new InProcessRunner(
      {
        root,
        node: 'test-node',
        forbiddenModules: DEFAULT_FORBIDDEN_MODULES,
        env: DEFAULT_OPTIONS.env,
        reservedEvents: RESERVED_EVENT_NAMES,
        maxQueuedEvents: 100,
        fsJail: { dataDir: path.join(root, '_data'), readDirs: [] },
        maxResponseBytes: 10 * 1024 * 1024,
        maxScriptBufferBytes: 1024 * 1024,
        maxSharedKeyBytes: DEFAULT_OPTIONS.maxSharedKeyBytes,
        maxSharedValueBytes: DEFAULT_OPTIONS.maxSharedValueBytes,
        // The harness runs in a test process, or a child process of its own (rejection-child.ts).
        guardProcess: true,
        ...settings,
      },
      delivery,
    );
    this.runner.onMessage((message) => this.messages.push(message));
  }

  /** Renders `script` for a new page; resolves with the page id and the render's answer. */
  async render(
    script: string,
    request: Partial<RequestData> = {},
  ): Promise<{ pageId: string; result: Extract<RunnerToHost, { type: 'rendered' | 'render-failed' }> }> {
    const pageId = `page${++this.#pageId}`.padEnd(22, 'x');
    this.runner.post({
      type: 'render',
      script,
      pageId,
      request: getRequest(request),
    });
    const result = await this.next(
      (m): m is Extract<RunnerToHost, { type: 'rendered' | 'render-failed' }> =>
        (m.type === 'rendered' || m.type === 'render-failed') && m.pageId === pageId,
    );
    return { pageId, result };
  }

  /** Client events numbered per page, as the registry numbers them; `key`: a coalescing key. Returns the number. */
  event(pageId: string, name: string, data: unknown = null, key?: string): number {
    const seq = (this.#eventSeqs.get(pageId) ?? 0) + 1;
    this.#eventSeqs.set(pageId, seq);
    this.runner.post({ type: 'event', pageId, name, data: JSON.stringify(data), seq, ...(key ? { key } : {}) });
    return seq;
  }

  /**
   * Waits for the first message (already received or coming) that matches; `timeoutMs` only reports one that
   * never comes.
   */
  async next<T extends RunnerToHost>(matches: (m: RunnerToHost) => m is T, timeoutMs?: number): Promise<T>;
  async next(matches: (m: RunnerToHost) => boolean, timeoutMs?: number): Promise<RunnerToHost>;
  async next(matches: (m: RunnerToHost) => boolean, timeoutMs = FAILURE_REPORT_MS): Promise<RunnerToHost> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(matches);
      if (found) return found;
      if (performance.now() > deadline)
        throw new Error(
          `no matching runner message after ${timeoutMs} ms; ` +
            `got ${JSON.stringify(this.messages, null, 1).slice(0, 2000)}`,
        );
      await realDelay(5);
    }
  }

  /** The data of every push to `pageId` so far (of those named `name`, when given), in order. */
  pushes(pageId: string, name?: string): unknown[] {
    return this.messages
      .filter((m) => m.type === 'push' && m.pageId === pageId && (name === undefined || m.name === name))
      .map((m) => JSON.parse((m as { data: string }).data));
  }
}

/** What a script sees as `request` for `GET /`, with `overrides`. */
export function getRequest(overrides: Partial<RequestData> = {}): RequestData {
  const request = { method: 'GET', url: '/', path: '/', baseUrl: '', query: {}, params: {}, headers: {}, cookies: {} };
  return { ...request, body: undefined, context: {}, ...overrides };
}

import type { RunnerToHost, ScriptErrorInfo } from '../../runner/messages.js';
import { DeadlineSweep } from './deadline-sweep.js';
import { OldestFirst } from './oldest-first.js';
import type { PageEntry } from './page-entry.js';

export type RenderResult =
  | { ok: true; status: number; headers: Record<string, string | string[]>; body: string; live: boolean }
  /** The script failed. */
  | { ok: false; error: ScriptErrorInfo }
  /** No script ran: a limit, or the shutdown, refused the page. */
  | { ok: false; refused: PageRefusal };

/** Why a page was refused before any script ran, as an HTTP status and a message. */
export interface PageRefusal {
  status: 403 | 429 | 503;
  /** `NO_OWNER`: a component or fragment whose owner page is not a live page of the session. */
  code: 'TOO_MANY_PAGES_IN_SESSION' | 'TOO_MANY_PAGES' | 'SHUTTING_DOWN' | 'SCRIPT_QUARANTINED' | 'NO_OWNER';
  message: string;
  /** Seconds for `Retry-After`. */
  retryAfter?: number;
}

/** A render refused because the server is shutting down. */
export const SHUTTING_DOWN: PageRefusal = {
  status: 503,
  code: 'SHUTTING_DOWN',
  message: 'the server is shutting down',
};

/** The answer to a render that did not finish within `renderTimeout` (an `await` that never settles?). */
export function timedOutRender(script: string, renderTimeout: number): RenderResult {
  const message =
    `${script} did not finish rendering within ${renderTimeout} ms (renderTimeout): ` + 'an await that never settles?';
  return { ok: false, error: { code: 'RENDER_TIMEOUT', name: 'Error', message, file: script } };
}

/** A runner's `render-failed`, as the request sees it: a quarantined script is refused (503), not failed. */
export function failedRender(message: Extract<RunnerToHost, { type: 'render-failed' }>): RenderResult {
  const { error, retryAfter } = message;
  if (retryAfter === undefined) return { ok: false, error };
  return { ok: false, refused: { status: 503, code: 'SCRIPT_QUARANTINED', message: error.message, retryAfter } };
}

export interface Render {
  readonly entry: PageEntry;
  readonly resolve: (result: RenderResult) => void;
  /** `performance.now()` when it started. */
  readonly startedAt: number;
}

/** Renders waiting for the runner's answer, by page id, each with a deadline (`renderTimeout`). */
export class RenderTracker {
  readonly #byPage = new Map<string, Render>();
  readonly #order = new OldestFirst<Render>();
  readonly #deadlines: DeadlineSweep<Render>;

  constructor(timeoutMs: number, onTimeout: (render: Render) => void) {
    const expire = (render: Render) => {
      this.take(render.entry.id);
      onTimeout(render);
    };
    this.#deadlines = new DeadlineSweep(timeoutMs, this.#order, (render) => render.startedAt, expire);
  }

  get size(): number {
    return this.#byPage.size;
  }

  start(entry: PageEntry, resolve: (result: RenderResult) => void): void {
    const render = { entry, resolve, startedAt: performance.now() };
    this.#byPage.set(entry.id, render);
    this.#order.add(render);
    this.#deadlines.arm();
  }

  /** The render of `pageId`, no longer tracked; undefined when it was answered already (timed out). */
  take(pageId: string): Render | undefined {
    const render = this.#byPage.get(pageId);
    if (!render) return undefined;
    this.#byPage.delete(pageId);
    this.#order.delete(render);
    return render;
  }

  /** Every render still waiting, no longer tracked (shutdown answers them). */
  takeAll(): Render[] {
    const renders = [...this.#byPage.values()];
    this.#byPage.clear();
    for (const render of renders) this.#order.delete(render);
    this.#deadlines.stop();
    return renders;
  }
}

import type { HostToRunner } from '../messages.js';

export type RenderMessage = Extract<HostToRunner, { type: 'render' }>;

/** The first render of a script in the pool, while it runs. */
export interface FirstRender<Home> {
  script: string;
  pageId: string;
  home: Home;
  /** `performance.now()` when it was sent. */
  since: number;
  /** Renders of the same script that wait for it. */
  held: RenderMessage[];
}

/**
 * Scripts are "unproven" until one of their renders has ended in this pool. While the first render
 * of an unproven script runs, the next renders of that script wait for it, rather than each take a
 * worker: eight requests to a `while (true) {}` then stop one worker, not all of them. They go as
 * soon as the first render ends, or as soon as its worker is seen answering (the render awaits, it
 * does not hold the thread). A proven script pays one lookup in a set per render.
 */
export class FirstRenders<Home> {
  readonly #proven = new Set<string>();
  readonly #running = new Map<string, FirstRender<Home>>();

  /** True when `message` must wait: its script is unproven and its first render holds a worker. */
  hold(message: RenderMessage): boolean {
    if (this.#proven.has(message.script)) return false;
    const first = this.#running.get(message.script);
    if (!first) return false;
    first.held.push(message);
    return true;
  }

  /** A render of `script` is sent to `home`: the first, when the script is unproven and none runs. */
  sent(script: string, pageId: string, home: Home): void {
    if (this.#proven.has(script) || this.#running.has(script)) return;
    this.#running.set(script, { script, pageId, home, since: performance.now(), held: [] });
  }

  /**
   * The render of `pageId` ended. `proven`: its worker answered it (it did not stop the worker).
   * Returns the renders that waited for it.
   */
  ended(script: string, pageId: string, proven: boolean): RenderMessage[] {
    const first = this.#running.get(script);
    if (first?.pageId !== pageId) return [];
    this.#running.delete(script);
    if (proven) this.#proven.add(script);
    return first.held;
  }

  /** The first renders running in `home`. */
  in(home: Home): FirstRender<Home>[] {
    return [...this.#running.values()].filter((first) => first.home === home);
  }

  /** First renders whose renders wait. */
  waiting(): FirstRender<Home>[] {
    return [...this.#running.values()].filter((first) => first.held.length > 0);
  }

  /** The first render is seen yielding: the renders that waited go, and the next ones are not held. */
  release(first: FirstRender<Home>): RenderMessage[] {
    this.#running.delete(first.script);
    this.#proven.add(first.script);
    return first.held;
  }

  /** Renders of these pages no longer wait (their pages closed before they started). */
  drop(pageIds: ReadonlySet<string>): void {
    for (const first of this.#running.values()) {
      if (first.held.some((held) => pageIds.has(held.pageId)))
        first.held = first.held.filter((held) => !pageIds.has(held.pageId));
    }
  }

  /** `script` must prove itself again (it was quarantined). */
  unprove(script: string): void {
    this.#proven.delete(script);
  }

  /** Dev: files changed, and any script may now loop. */
  unproveAll(): void {
    this.#proven.clear();
  }
}

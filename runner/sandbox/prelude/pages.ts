/** The pages of this sandbox: everything the prelude keeps for one rendered page. */
import type { Timer } from './timers.js';

export type Task = () => unknown;
export type Hook = (name: string, event: unknown) => unknown;

export interface Subscription {
  page: PageState;
  channel: string;
  fn: (data: unknown) => unknown;
}

export interface PageState {
  id: string;
  state: 'rendering' | 'live' | 'closed';
  /** True until the render ended: echo and response work until then, even after page.close(). */
  rendering: boolean;
  /** The script's `__serverSocketEvent`, once its top-level code ran. */
  hook: Hook | undefined;
  out: string[];
  /** UTF-8 bytes in `out`, held to `maxResponseBytes`. */
  outBytes: number;
  /** The error of the echo that passed `maxResponseBytes`: the render fails with it, whatever follows. */
  overflow: Error | undefined;
  status: number;
  headers: Record<string, string | string[]>;
  closeHooks: Task[];
  owned: unknown[];
  timers: Set<Timer>;
  intervals: Set<Timer>;
  subscriptions: Set<Subscription>;
  /** What it opened through Node's modules (node-modules.ts), as the functions that close each. */
  resources: Set<Task>;
  /** The mailbox (mailbox.ts): events and deliveries waiting, and whether one is running. */
  queue: Task[];
  busy: boolean;
}

/** Pages rendering or live, by id. */
export const pages = new Map<string, PageState>();

export function newPage(id: string): PageState {
  const page: PageState = {
    id,
    state: 'rendering',
    rendering: true,
    hook: undefined,
    out: [],
    outBytes: 0,
    overflow: undefined,
    status: 200,
    headers: {},
    closeHooks: [],
    owned: [],
    timers: new Set(),
    intervals: new Set(),
    subscriptions: new Set(),
    resources: new Set(),
    queue: [],
    busy: false,
  };
  pages.set(id, page);
  return page;
}

/** A page stays alive after its render while anything of it can still act or be told to. */
export function isLive(page: PageState): boolean {
  return (
    page.hook !== undefined ||
    page.closeHooks.length > 0 ||
    page.owned.length > 0 ||
    page.timers.size > 0 ||
    page.intervals.size > 0 ||
    page.subscriptions.size > 0 ||
    page.resources.size > 0
  );
}

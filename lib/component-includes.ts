/**
 * The host's end of `include(path, props)` (runner/sandbox/prelude/include.ts): the script of
 * `path` rendered as a page of its own, owned by the page that included it (lib/pages/
 * components.ts), in its session, under its mount, with its context. The answer is the
 * component's HTML in its root, `<pw-component data-pw-page="...">`, which the browser's client
 * joins on the document's socket; a component that is not live is its HTML alone.
 *
 * It arrives as a shared call (`op: 'pw:include'`), taken here before the store, and is answered
 * the same way (`shared-answer`), on a later turn of the event loop.
 */
import type { RequestData, RunnerToHost, ScriptRunner } from '../runner/messages.js';
import { formatScriptError } from '../runner/script-error.js';
import { addField } from './http/request-data.js';
import { REFUSED, type RouteTable } from './http/routes.js';
import { randomId } from './http/session.js';
import { MAX_INCLUDE_DEPTH } from './pages/components.js';
import type { PageRegistry } from './pages/page-registry.js';
import { failure, isJsonText, type SharedAnswer } from './shared/shared-op.js';

type SharedCallMessage = Extract<RunnerToHost, { type: 'shared-call' }>;

/** The shared call's operation that is an include (prelude/include.ts's `INCLUDE_OP`). */
export const INCLUDE_OP = 'pw:include';

/** Whether a runner's shared call is an `include()`. */
export function isIncludeCall(message: SharedCallMessage): boolean {
  return (message.op as { op?: unknown } | null)?.op === INCLUDE_OP;
}

export class ComponentIncludes {
  readonly #registry: PageRegistry;
  readonly #routes: RouteTable;
  readonly #runner: ScriptRunner;
  /** The scripts from the top page down to each component (a chain too deep, or that loops, is refused). */
  readonly #chains = new WeakMap<object, readonly string[]>();

  constructor(registry: PageRegistry, routes: RouteTable, runner: ScriptRunner) {
    this.#registry = registry;
    this.#routes = routes;
    this.#runner = runner;
  }

  take(message: SharedCallMessage): void {
    const { pageId, callId } = message;
    if (typeof pageId !== 'string' || !Number.isSafeInteger(callId)) return;
    const answer = (result: SharedAnswer): void => {
      setImmediate(() => {
        if (!this.#registry.closing) this.#runner.post({ type: 'shared-answer', pageId, callId, answer: result });
      });
    };
    const refuse = (text: string) => answer(failure('SHARED_BAD_CALL', text));
    const op = message.op as { key?: unknown; value?: unknown };
    const path = typeof op.key === 'string' ? op.key : '';
    const what = `include(${JSON.stringify(path.slice(0, 200))})`;
    const owner = this.#registry.page(pageId);
    if (owner?.kind !== 'page' || owner.state === 'closing') return refuse(`${what}: this page is closed`);
    const queryStart = path.indexOf('?');
    const pathname = queryStart === -1 ? path : path.slice(0, queryStart);
    const route = pathname.startsWith('/') ? this.#routes.resolve(pathname) : undefined;
    if (route === undefined || route === REFUSED) {
      return refuse(
        `${what}: no script serves ${pathname} (it does not exist, or it is private: a name starting with _ or .)`,
      );
    }
    if (route.kind === 'static') return refuse(`${what}: ${pathname} is a static file, not a script`);
    const chain = [...(this.#chains.get(owner) ?? [owner.script]), route.script];
    if (chain.indexOf(route.script) < chain.length - 1) {
      return refuse(`${what}: a recursive include (${chain.join(' -> ')}): a component cannot include itself`);
    }
    if (chain.length > MAX_INCLUDE_DEPTH) {
      return refuse(`${what}: components nest ${chain.length} deep (${chain.join(' -> ')}), past ${MAX_INCLUDE_DEPTH}`);
    }
    if (typeof op.value !== 'string' || !isJsonText(op.value)) return refuse(`${what}: its props are not JSON data`);
    const query: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
    const search = new URLSearchParams(queryStart === -1 ? '' : path.slice(queryStart + 1));
    for (const [name, value] of search) addField(query, name, value);
    const request: RequestData = {
      method: 'GET',
      url: path,
      path: pathname,
      baseUrl: owner.mount.base,
      query,
      params: route.params,
      headers: {},
      cookies: {},
      body: undefined,
      context: owner.context,
      props: JSON.parse(op.value) as unknown,
    };
    const id = randomId();
    const rendering = this.#registry.render(route.script, id, owner.session, request, owner.mount, owner.id);
    // Known from its render's start: what it includes while it renders is checked against it.
    const component = this.#registry.page(id);
    if (component) this.#chains.set(component, chain);
    rendering.then(
      (result) => {
        if (!result.ok) {
          const why = 'refused' in result ? result.refused.message : formatScriptError(result.error);
          return refuse(`${what}: the component failed: ${why}`);
        }
        // The id lets a morph of the page around it (its page.view) match it, and keep it.
        const html = result.live
          ? `<pw-component id="pwc-${id}" data-pw-page="${id}">${result.body}</pw-component>`
          : result.body;
        answer({ ok: true, json: JSON.stringify(html) });
      },
      (error: unknown) => refuse(`${what}: ${error instanceof Error ? error.message : String(error)}`),
    );
  }
}

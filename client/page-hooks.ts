/**
 * `pw-hook="name"` (or `data-pw-hook`): an element whose life in the page runs the page's own
 * code, for what attributes cannot say (a chart library, a map). The page registers it as
 * `document.serverSocket.hooks.name = { mounted(el), updated(el), destroyed(el) }`:
 * - `mounted` once the element is in the page (when the document is loaded, or when it is added
 *   later: by a server update, or by the page's own code);
 * - `updated` after a server update (`page.update()` and the rest, `page.view`) changed the
 *   element or what it holds (never for the page's own changes: a chart drawing into its element
 *   would call itself);
 * - `destroyed` once it left the page.
 * In each, `this.el` is the element and `this.send(name, data)` sends an event as
 * `serverSocket.send` does.
 */

/** What a hook's functions see as `this`. */
export interface HookContext {
  readonly el: Element;
  send(name: string, data?: unknown): void;
}

/** The functions of one `pw-hook` name; each optional. */
export interface PageHook {
  mounted?(this: HookContext, el: Element): void;
  updated?(this: HookContext, el: Element): void;
  destroyed?(this: HookContext, el: Element): void;
}

const HOOKED = '[pw-hook],[data-pw-hook]';

const hookName = (el: Element): string => el.getAttribute('pw-hook') ?? el.getAttribute('data-pw-hook') ?? '';

export class PageHooks {
  readonly #live = new Map<Element, { hook: PageHook; context: HookContext }>();
  readonly #warned = new Set<string>();
  readonly #doc: Document;
  /** `document.serverSocket.hooks`: the page's hooks, by name. */
  readonly #registry: Record<string, PageHook>;
  /** `el`: the hooked element, whose instance (the page's, or a component's) the event goes to. */
  readonly #send: (name: string, data?: unknown, el?: Element) => void;
  readonly #dev: boolean;
  #observer: MutationObserver | undefined;

  constructor(
    doc: Document,
    registry: Record<string, PageHook>,
    send: (name: string, data?: unknown, el?: Element) => void,
    dev: boolean,
  ) {
    this.#doc = doc;
    this.#registry = registry;
    this.#send = send;
    this.#dev = dev;
  }

  /** Mounts what the document holds once it is loaded (the page's scripts registered their hooks), then watches. */
  start(): void {
    const begin = () => {
      this.#observer = new MutationObserver(() => this.#scan());
      this.#observer.observe(this.#doc, { childList: true, subtree: true });
      this.#scan();
    };
    if (this.#doc.readyState === 'loading') this.#doc.addEventListener('DOMContentLoaded', begin, { once: true });
    else begin();
  }

  /**
   * A server update was applied (synchronously, just now): elements it added are mounted, those
   * it removed destroyed, and the hooked elements it changed, or changed inside, updated.
   */
  serverUpdated(): void {
    const records = this.#observer?.takeRecords() ?? [];
    const before = new Set(this.#live.keys());
    this.#scan(records.length > 0);
    for (const [el, { hook, context }] of this.#live) {
      if (!before.has(el)) continue;
      if (records.some((record) => el === record.target || el.contains(record.target))) {
        this.#call(hook, 'updated', context, el);
      }
    }
  }

  /** Mounts the hooked elements now in the page, and destroys those that left it. */
  #scan(changed = true): void {
    if (!changed) return;
    for (const [el, { hook, context }] of this.#live) {
      if (el.isConnected) continue;
      this.#live.delete(el);
      this.#call(hook, 'destroyed', context, el);
    }
    for (const el of this.#doc.querySelectorAll(HOOKED)) {
      if (this.#live.has(el)) continue;
      const name = hookName(el);
      const hook = this.#registry[name];
      if (!hook) {
        if (this.#dev && !this.#warned.has(name)) {
          this.#warned.add(name);
          console.warn(`[pagewire] pw-hook="${name}": no document.serverSocket.hooks.${name} is registered`);
        }
        continue;
      }
      const context: HookContext = { el, send: (event, data) => this.#send(event, data, el) };
      this.#live.set(el, { hook, context });
      this.#call(hook, 'mounted', context, el);
    }
  }

  #call(hook: PageHook, what: 'mounted' | 'updated' | 'destroyed', context: HookContext, el: Element): void {
    try {
      hook[what]?.call(context, el);
    } catch (error) {
      // The page's own code: its error is the page's, and the other hooks still run.
      console.error(error);
    }
  }
}

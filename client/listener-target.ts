/**
 * An EventTarget whose listeners are called as `fn(event)`, never with the target as `this`:
 * native functions such as `alert` throw "Illegal invocation" otherwise, and
 * `addEventListener('message', alert)` is how the 2008 example shows a push. The base of
 * `document.serverSocket` and of `new ServerSocket(path)`.
 */
export type Listener<E extends Event> = ((event: E) => void) | { handleEvent(event: E): void };

export class ListenerTarget<E extends Event> extends EventTarget {
  readonly #wrapped = new WeakMap<object, EventListener>();

  override addEventListener(type: string, listener: Listener<E> | null, options?: boolean | AddEventListenerOptions) {
    if (!listener) return;
    let wrapped = this.#wrapped.get(listener);
    if (!wrapped) {
      wrapped =
        typeof listener === 'function'
          ? (event: Event) => listener(event as E)
          : (event: Event) => listener.handleEvent(event as E);
      this.#wrapped.set(listener, wrapped);
    }
    super.addEventListener(type, wrapped, options);
  }

  override removeEventListener(type: string, listener: Listener<E> | null, options?: boolean | EventListenerOptions) {
    const wrapped = listener && this.#wrapped.get(listener);
    if (wrapped) super.removeEventListener(type, wrapped, options);
  }
}

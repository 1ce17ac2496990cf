/**
 * While the server has not handled an event (its `done` has not come), the element that raised
 * it has `aria-busy="true"` and the class `pw-loading`, and its `pw-disable-with` buttons are
 * disabled with that text. An element busy with several events is freed by the last `done`.
 */
const DISABLE_WITH = '[pw-disable-with],[data-pw-disable-with]';

interface Restore {
  button: HTMLButtonElement | HTMLInputElement;
  disabled: boolean;
  /** What the button held: an `<input>`'s value, a `<button>`'s nodes (an icon, markup). */
  value: string;
  nodes: Node[];
  /** The `pw-disable-with` text shown meanwhile. */
  busyText: string;
}

export class BusyStates {
  /** Event numbers in flight, by element. */
  readonly #pending = new Map<Element, Set<number>>();
  /** The element of each event number in flight. */
  readonly #holders = new Map<number, Element>();
  readonly #restores = new Map<Element, Restore[]>();
  /** The event numbers in flight that are a form's submit. */
  readonly #submits = new Set<number>();

  /** Event `seq` raised by `holder` (a form when `submit`ted) is in flight. */
  start(holder: Element, seq: number, submit = false): void {
    if (submit) this.#submits.add(seq);
    const previous = this.#holders.get(seq);
    if (previous === holder) return;
    if (previous) this.done(seq);
    this.#holders.set(seq, holder);
    const seqs = this.#pending.get(holder);
    if (seqs) return void seqs.add(seq);
    this.#pending.set(holder, new Set([seq]));
    holder.setAttribute('aria-busy', 'true');
    holder.classList.add('pw-loading');
    const buttons = [
      ...(holder.matches(DISABLE_WITH) ? [holder] : []),
      ...(holder instanceof HTMLFormElement ? holder.querySelectorAll(DISABLE_WITH) : []),
    ].filter((el) => el instanceof HTMLButtonElement || el instanceof HTMLInputElement);
    const restores = buttons.map((button): Restore => {
      const busyText = button.getAttribute('pw-disable-with') ?? button.getAttribute('data-pw-disable-with') ?? '';
      const restore = { button, disabled: false, value: '', nodes: [], busyText };
      disable(restore);
      return restore;
    });
    if (restores.length > 0) this.#restores.set(holder, restores);
  }

  /**
   * A server update was applied: a morph writes the server's attributes and content over the
   * busy marks of the elements it rendered again. What it rendered is kept, to be shown at `done`;
   * the marks are set again while the events are in flight.
   */
  serverUpdated(): void {
    for (const holder of this.#pending.keys()) {
      holder.setAttribute('aria-busy', 'true');
      holder.classList.add('pw-loading');
      for (const restore of this.#restores.get(holder) ?? []) {
        if (textOf(restore.button) !== restore.busyText || !restore.button.disabled) disable(restore);
      }
    }
  }

  /** The server handled event `seq`. */
  done(seq: number): void {
    this.#submits.delete(seq);
    const holder = this.#holders.get(seq);
    if (!holder) return;
    this.#holders.delete(seq);
    const seqs = this.#pending.get(holder);
    seqs?.delete(seq);
    if (seqs && seqs.size > 0) return;
    this.#pending.delete(holder);
    holder.removeAttribute('aria-busy');
    holder.classList.remove('pw-loading');
    for (const { button, disabled, value, nodes, busyText } of this.#restores.get(holder) ?? []) {
      // The page's own code rewrote the button meanwhile: what it wrote stays.
      if (textOf(button) !== busyText) continue;
      button.disabled = disabled;
      if (button instanceof HTMLInputElement) button.value = value;
      else button.replaceChildren(...nodes);
    }
    this.#restores.delete(holder);
  }

  /** Whether `el` is a field of a form whose submit the server has not handled yet. */
  submitting(el: Element | null): boolean {
    const form = el && 'form' in el ? (el as HTMLInputElement).form : null;
    if (!form) return false;
    for (const seq of this.#submits) if (this.#holders.get(seq) === form) return true;
    return false;
  }

  /** The page ended: nothing more will be handled. */
  clear(): void {
    for (const seq of [...this.#holders.keys()]) this.done(seq);
  }
}

const textOf = (button: HTMLButtonElement | HTMLInputElement) =>
  button instanceof HTMLInputElement ? button.value : (button.textContent ?? '');

/** Keeps what `restore.button` is now (to give back at `done`), and shows it disabled, with the busy text. */
function disable(restore: Restore): void {
  const { button } = restore;
  restore.disabled = button.disabled;
  restore.value = button.value;
  restore.nodes = [...button.childNodes];
  button.disabled = true;
  if (button instanceof HTMLInputElement) button.value = restore.busyText;
  else button.textContent = restore.busyText;
}

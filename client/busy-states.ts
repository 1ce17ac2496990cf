/**
 * While the server has not handled an event (its `done` has not come), the element that raised
 * it has `aria-busy="true"` and the class `pw-loading`, and its `pw-disable-with` buttons are
 * disabled with that text. An element busy with several events is freed by the last `done`.
 */
const DISABLE_WITH = '[pw-disable-with],[data-pw-disable-with]';

interface Restore {
  button: HTMLButtonElement | HTMLInputElement;
  disabled: boolean;
  text: string;
  /** What it says while busy (its `pw-disable-with`). */
  busyText: string;
}

export class BusyStates {
  /** Event numbers in flight, by element. */
  readonly #pending = new Map<Element, Set<number>>();
  /** The element of each event number in flight. */
  readonly #holders = new Map<number, Element>();
  readonly #restores = new Map<Element, Restore[]>();

  /** Event `seq` raised by `holder` (a form when submitted) is in flight. */
  start(holder: Element, seq: number): void {
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
    const restores = buttons.map((button) => {
      const text = button.getAttribute('pw-disable-with') ?? button.getAttribute('data-pw-disable-with') ?? '';
      const restore = { button, disabled: button.disabled, text: textOf(button), busyText: text };
      button.disabled = true;
      setText(button, text);
      return restore;
    });
    if (restores.length > 0) this.#restores.set(holder, restores);
  }

  /** The server handled event `seq`. */
  done(seq: number): void {
    const holder = this.#holders.get(seq);
    if (!holder) return;
    this.#holders.delete(seq);
    const seqs = this.#pending.get(holder);
    seqs?.delete(seq);
    if (seqs && seqs.size > 0) return;
    this.#pending.delete(holder);
    holder.removeAttribute('aria-busy');
    holder.classList.remove('pw-loading');
    for (const { button, disabled, text } of this.#restores.get(holder) ?? []) {
      button.disabled = disabled;
      setText(button, text);
    }
    this.#restores.delete(holder);
  }

  /**
   * A server update morphed the page: the HTML it brought has no busy states, so the morph took
   * them from the elements it kept whose events are still in flight (a queued submit's button
   * enabled again, a second submit possible). They are put back; `done` clears them as before.
   */
  reapply(): void {
    for (const holder of this.#pending.keys()) {
      if (!holder.isConnected) continue;
      holder.setAttribute('aria-busy', 'true');
      holder.classList.add('pw-loading');
      for (const restore of this.#restores.get(holder) ?? []) {
        // The server's HTML is what the button shows once its event is done.
        if (textOf(restore.button) !== restore.busyText) restore.text = textOf(restore.button);
        restore.button.disabled = true;
        setText(restore.button, restore.busyText);
      }
    }
  }

  /** The page ended: nothing more will be handled. */
  clear(): void {
    for (const seq of [...this.#holders.keys()]) this.done(seq);
  }
}

const textOf = (button: HTMLButtonElement | HTMLInputElement) =>
  button instanceof HTMLInputElement ? button.value : (button.textContent ?? '');

function setText(button: HTMLButtonElement | HTMLInputElement, text: string): void {
  if (button instanceof HTMLInputElement) button.value = text;
  else button.textContent = text;
}

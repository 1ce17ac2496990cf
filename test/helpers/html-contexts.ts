/** What the `html` tag's unit tests read of a template: its static strings, contexts, refusals. */
import assert from 'node:assert/strict';
import type { Slot } from '../../runner/sandbox/prelude/html-slots.js';
import { analyse } from '../../runner/sandbox/prelude/html-tokenizer.js';

/** The static strings of a template, as the tag gets them. */
export const t = (strings: TemplateStringsArray, ..._values: unknown[]) => strings;

/** A slot as the tests name it: its kind, or `refused: where`. */
export const describeSlot = (slot: Slot) => (slot.kind === 'refused' ? `refused: ${slot.where}` : slot.kind);

/** Each interpolation's context: its kind, or `refused: where`. */
export const contexts = (strings: readonly string[]) => analyse(strings).slots.map(describeSlot);

/** The message of the HtmlContextError `render` throws; fails the test if it renders. */
export function refusal(render: () => unknown): string {
  try {
    render();
  } catch (error) {
    assert.equal((error as Error).name, 'HtmlContextError');
    return (error as Error).message;
  }
  return assert.fail('rendered, not refused');
}

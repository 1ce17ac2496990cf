/**
 * The shared store of a process of Pagewire's cluster: every operation runs in the primary's
 * store (`primary.ts`), one at a time there, so that `incr` and `push` stay atomic across the
 * processes and the data outlives any one of them (a killed process loses none of it).
 */
import type { SharedAnswer, SharedOp, SharedStore } from '../shared/shared-op.js';
import type { ClusterLink } from './cluster-link.js';

export class ClusterStore implements SharedStore {
  readonly #link: ClusterLink;
  readonly #dir: string;
  readonly #maxBytes: number;

  /** `dir`: the scripts folder, whose instances in every process share one store; `maxBytes`: its bound. */
  constructor(link: ClusterLink, dir: string, maxBytes: number) {
    this.#link = link;
    this.#dir = dir;
    this.#maxBytes = maxBytes;
  }

  run(op: SharedOp): Promise<SharedAnswer> {
    return this.#link.shared(this.#dir, this.#maxBytes, op);
  }

  /** Nothing of this process's: the store is the primary's, and outlives this process. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

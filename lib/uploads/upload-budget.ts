/**
 * Bytes of uploads under way, per browser session and for the server: an upload reserves its
 * declared size when it starts and gives it back when it ends, so that a new upload past either
 * bound is refused before any byte is sent (`maxUploadSessionBytes`, `maxUploadServerBytes`).
 */
export class UploadBudget {
  readonly #perSession: number;
  readonly #perServer: number;
  readonly #sessions = new Map<string, number>();
  #total = 0;

  constructor(perSession: number, perServer: number) {
    this.#perSession = perSession;
    this.#perServer = perServer;
  }

  /** Bytes reserved now, for the server. */
  get total(): number {
    return this.#total;
  }

  /** Reserves `bytes` for `session`; or says which bound it would pass. */
  reserve(session: string, bytes: number): string | undefined {
    const held = this.#sessions.get(session) ?? 0;
    if (held + bytes > this.#perSession)
      return (
        `${held + bytes} bytes of uploads under way for this session, ` +
        `more than ${this.#perSession} (maxUploadSessionBytes)`
      );
    if (this.#total + bytes > this.#perServer)
      return (
        `${this.#total + bytes} bytes of uploads under way on the server, ` +
        `more than ${this.#perServer} (maxUploadServerBytes)`
      );
    this.#sessions.set(session, held + bytes);
    this.#total += bytes;
    return undefined;
  }

  release(session: string, bytes: number): void {
    const left = (this.#sessions.get(session) ?? 0) - bytes;
    if (left > 0) this.#sessions.set(session, left);
    else this.#sessions.delete(session);
    this.#total -= bytes;
  }
}

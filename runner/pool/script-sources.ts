import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SourceAnswer } from './worker-protocol.js';

/**
 * Script sources as the pool hands them to its workers. In production (`pin`), a file is read
 * once and every worker runs that version, even after an edit on the server.
 */
export class ScriptSources {
  readonly #root: string;
  readonly #pin: boolean;
  readonly #sources = new Map<string, SourceAnswer>();

  constructor(root: string, pin: boolean) {
    this.#root = root;
    this.#pin = pin;
  }

  read(file: string): SourceAnswer {
    let answer = this.#sources.get(file);
    if (!answer) {
      try {
        answer = { source: readFileSync(path.join(this.#root, file), 'utf8') };
      } catch (error) {
        answer = { error: error instanceof Error ? error.message : String(error) };
      }
      // Kept in production only: a file that could not be read is asked again next time, and in
      // dev the watcher's second looks (a half-written file) must see the disk.
      if ('source' in answer && this.#pin) this.#sources.set(file, answer);
    }
    return answer;
  }
}

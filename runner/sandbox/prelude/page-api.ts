/** `page`: a script's handle on its own page instance (types/script-globals.d.ts). */
import type { ScriptChannel, ScriptPage } from '../script-globals.js';
import { port } from './boot.js';
import { subscribe } from './channels.js';
import { closeAndTell, disposerOf } from './close.js';
import { checkEventName, dataJson } from './event-data.js';
import { inspect } from './inspect.js';
import type { PageState, Task } from './pages.js';

/** Node's timers fire at once past 2^31 - 1 ms. */
const MAX_TIMER = 2 ** 31 - 1;

export function makePageApi(page: PageState): ScriptPage {
  return Object.freeze({
    id: page.id,
    onClose(fn: Task) {
      if (typeof fn !== 'function') throw new TypeError('page.onClose() needs a function');
      if (page.state === 'closed') throw new Error('page.onClose(): this page is already closed');
      page.closeHooks.push(fn);
    },
    own<T>(resource: T): T {
      if (!disposerOf(resource)) {
        throw new TypeError(
          'page.own() needs a function, or an object with close(), destroy(), dispose(), Symbol.asyncDispose ' +
            'or end()',
        );
      }
      if (page.state === 'closed') throw new Error('page.own(): this page is already closed');
      page.owned.push(resource);
      return resource;
    },
    close() {
      closeAndTell(page, 'closed-by-script');
    },
    setDisconnectGrace(ms: number) {
      if (!(Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIMER)) {
        throw new RangeError(
          `page.setDisconnectGrace(ms): ms must be a number from 0 to ${MAX_TIMER}, got ${inspect(ms)}`,
        );
      }
      port('options', page.id, ms);
    },
    broadcast(name: string, data?: unknown) {
      checkEventName(name, 'page.broadcast()');
      port('broadcast', name, dataJson(data, 'page.broadcast()'));
    },
    channel(name: string) {
      if (typeof name !== 'string' || name === '') throw new TypeError('page.channel() needs a name');
      return makeChannel(page, name);
    },
  });
}

function makeChannel(page: PageState, name: string): ScriptChannel {
  return Object.freeze({
    publish(data?: unknown) {
      port('publish', name, dataJson(data, `page.channel('${name}').publish()`));
    },
    subscribe(fn: (data: unknown) => unknown): () => void {
      if (typeof fn !== 'function') throw new TypeError(`page.channel('${name}').subscribe() needs a function`);
      if (page.state === 'closed') throw new Error('subscribe(): this page is already closed');
      return subscribe(page, name, fn);
    },
  });
}

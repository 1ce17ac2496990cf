/** `page`: a script's handle on its own page instance (types/script-globals.d.ts). */
import type { ScriptChannel, ScriptPage } from '../script-globals.js';
import { boot, port } from './boot.js';
import { subscribe } from './channels.js';
import { closeAndTell, disposerOf } from './close.js';
import { flushDomUpdates, makeDomUpdates } from './dom-updates.js';
import { guard } from './errors.js';
import { checkEventName, dataJson } from './event-data.js';
import { inspect } from './inspect.js';
import type { PageState, Task } from './pages.js';
import { makeUploads } from './uploads.js';

/** Node's timers fire at once past 2^31 - 1 ms. */
const MAX_TIMER = 2 ** 31 - 1;

export function makePageApi(page: PageState): ScriptPage {
  return Object.freeze({
    id: page.id,
    node: boot.node,
    ...makeDomUpdates(page),
    ...makeUploads(page),
    onClose(fn: Task) {
      if (typeof fn !== 'function') throw new TypeError('page.onClose() needs a function');
      if (page.state === 'closed') {
        // Run now, it would race the page's other hooks and its resources closing: refused, said why.
        throw new Error(
          'page.onClose(): this page is already closed (it may have closed during an await), so this hook ' +
            'would never run; it was not run. Register close hooks before awaiting, and hand resources to ' +
            'page.own(), which closes them even on a closed page.',
        );
      }
      page.closeHooks.push(fn);
    },
    own<T>(resource: T): T {
      const dispose = disposerOf(resource);
      if (!dispose) {
        throw new TypeError(
          'page.own() needs a function, or an object with close(), destroy(), dispose(), Symbol.asyncDispose ' +
            'or end()',
        );
      }
      if (page.state === 'closed') {
        // Opened across an await while the page closed: closed now, or it would stay open for good.
        guard(page.id, 'CLOSE_ERROR', dispose);
        throw new Error(
          'page.own(): this page is already closed (for example while the script awaited), so the resource ' +
            'was closed now instead. Own a resource as soon as it exists, before awaiting its setup ' +
            '(page.own(client) before await client.connect()).',
        );
      }
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
      flushDomUpdates(page);
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

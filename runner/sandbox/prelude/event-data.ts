/** What a script may send to pages: an event name the client does not raise itself, JSON data. */
import { RESERVED_EVENT_PREFIX } from '../../../protocol/wire.js';
import { boot } from './boot.js';

const reserved = new Set(boot.reservedEvents);

/** The data as JSON (`undefined` as `null`); a TypeError naming `what` when it cannot be. */
export function dataJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`${what}: the data must be JSON-serializable (${(error as Error).message})`);
  }
  return json === undefined ? 'null' : json;
}

export function checkEventName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`${what}: the event name must be a non-empty string`);
  }
  if (name.startsWith(RESERVED_EVENT_PREFIX)) {
    throw new TypeError(
      `${what}: '${name}' starts with '${RESERVED_EVENT_PREFIX}', which Pagewire keeps for its own pushes ` +
        '(DOM updates are page.update() and the rest); choose a name without that prefix',
    );
  }
  if (reserved.has(name)) {
    throw new TypeError(`${what}: '${name}' is an event the browser client raises itself; choose another name`);
  }
}

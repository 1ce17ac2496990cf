/**
 * What the host app calls on a Pagewire instance about its pages: `wire.closePages` (logout
 * everywhere) and `wire.publish` (tell the open pages). Their arguments come from the app's
 * code, so each is checked and a misuse is named, with a fix.
 */
import { inspect } from 'node:util';
import { copyContext } from '../runner/sandbox/codec.js';
import type { PageRegistry } from './pages/page-registry.js';

/** Hands a publication to every subscriber of `channel`, as a script's `publish` does. */
export type Publish = (channel: string, dataJson: string) => void;

/**
 * `wire.closePages(match)`: every live page whose context `match` answers `true` for closes
 * (reason `unauthorized`: its browser reloads; its close hooks run). Every page is asked before
 * any closes, so a `match` that throws closes none. Returns how many close: 0 once the instance
 * is closed (`wire.close()`).
 */
export function closePages<Context extends object>(
  registry: PageRegistry,
  match: (context: Readonly<Context>) => boolean,
): number {
  if (typeof match !== 'function') {
    throw new TypeError(
      `wire.closePages(match): match must be a function (context) => boolean, got ${show(match)}. ` +
        'For example: wire.closePages((context) => context.user?.id === user.id)',
    );
  }
  return registry.closeWhere((context) => {
    // A copy of its own (the codec's, as the script got): the stored context, which later joins
    // are compared with, stays as it rendered whatever `match` does with what it is given.
    const answer: unknown = match(copyContext(context) as Readonly<Context>);
    if (typeof answer === 'boolean') return answer;
    const what = answer instanceof Promise ? 'a Promise (it must answer at once)' : show(answer);
    throw new TypeError(
      `wire.closePages(match): match must return true (close the page) or false, got ${what}; no page was closed`,
    );
  });
}

/** `wire.publish(channel, data)`: `data` as JSON, as a script's `page.channel(name).publish(data)` sends it. */
export function publish(send: Publish, channel: unknown, data: unknown): void {
  if (typeof channel !== 'string' || channel === '') {
    throw new TypeError(
      `wire.publish(channel, data): channel must be a non-empty string, the name scripts pass to ` +
        `page.channel(name), got ${show(channel)}`,
    );
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TypeError(`wire.publish('${channel}', data): the data must be JSON-serializable (${reason})`);
  }
  send(channel, json === undefined ? 'null' : json);
}

function show(value: unknown): string {
  return inspect(value, { depth: 1, breakLength: Infinity });
}

import type { ServerMessage } from '../../protocol/wire.js';

declare const encoded: unique symbol;

/** A server message as JSON text: only the functions below make one, from the typed messages. */
export type Frame = string & { readonly [encoded]: 'Frame' };

/**
 * The end of a push frame, `,"n":name,"d":data}`: made once when the script pushes, kept until
 * the browser acknowledges it, and spliced into a frame each time it is sent (again).
 */
export type PushTail = string & { readonly [encoded]: 'PushTail' };

/** Any server message but a push (pushes take the spliced fast path, `pushFrame`). */
export function frame(message: Exclude<ServerMessage, { t: 'push' }>): Frame {
  return JSON.stringify(message) as Frame;
}

/**
 * `dataJson` is JSON already, made by the sandbox from the script's value: it is spliced in as it
 * is, not parsed and serialized again on the hot path of every push.
 */
export function pushTail(name: string, dataJson: string): PushTail {
  return `,"n":${JSON.stringify(name)},"d":${dataJson}}` as PushTail;
}

/** A push frame: `{ t: 'push', p, s, a?, n, d }` with `n` and `d` from the tail. */
export function pushFrame(pageId: string, seq: number, ack: number | undefined, tail: PushTail): Frame {
  const head = `{"t":"push","p":${JSON.stringify(pageId)},"s":${seq}`;
  return `${head}${ack === undefined ? '' : `,"a":${ack}`}${tail}` as Frame;
}

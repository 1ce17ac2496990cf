import {
  type ClientMessage,
  MAX_COALESCING_KEY,
  RESERVED_EVENT_PREFIX,
  VIEW_RESEND_EVENT,
} from '../../protocol/wire.js';
import { MAX_DATA_DEPTH, nestsDeeperThan, tooDeepMessage } from '../http/data-depth.js';
import { PAGE_ID } from '../http/session.js';
import { parseUploadCancel, parseUploadStart } from '../uploads/upload-messages.js';

/** Event names longer than this are refused. */
export const MAX_EVENT_NAME = 200;

/**
 * Validates one frame from a browser: a `ClientMessage`, or the reason it is not one. Nothing a
 * browser sends reaches a script before it passed here.
 */
export function parseClientMessage(text: string): ClientMessage | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const { t, p, n, s, a, d, k, u, f } = value as Record<string, unknown>;
  if (t === 'ping') return { t };
  if (typeof p !== 'string' || !PAGE_ID.test(p)) return "'p' must be a page id";
  switch (t) {
    case 'bye':
      return { t, p };
    case 'join':
    case 'ack':
      if (!isCount(a)) return "'a' must be the number of the last push received (an integer >= 0)";
      return { t, p, a };
    case 'ev':
      if (typeof n !== 'string' || n === '' || n.length > MAX_EVENT_NAME) {
        return `'n' must be an event name of 1 to ${MAX_EVENT_NAME} characters`;
      }
      // Pagewire's own events reach a script from the server only (`pw:upload`), but the one a
      // browser asks with: the whole of a view whose edits did not apply (`pw:view`).
      if (n.startsWith(RESERVED_EVENT_PREFIX) && n !== VIEW_RESEND_EVENT) {
        return `'n' must not start with '${RESERVED_EVENT_PREFIX}' (but '${VIEW_RESEND_EVENT}')`;
      }
      if (!isCount(s) || s === 0) return "'s' must be the event's number (an integer >= 1)";
      if (nestsDeeperThan(d, MAX_DATA_DEPTH)) return tooDeepMessage("the event's data 'd'");
      if (k === undefined) return { t, p, s, n, d };
      if (typeof k !== 'string' || k === '' || k.length > MAX_COALESCING_KEY) {
        return `'k' must be a coalescing key of 1 to ${MAX_COALESCING_KEY} characters`;
      }
      return { t, p, s, n, d, k };
    case 'up':
      return parseUploadStart(p, u, n, f);
    case 'upc':
      return parseUploadCancel(p, u);
    default:
      return `unknown message type '${String(t).slice(0, 40)}'`;
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

import type { RunnerToHost } from '../../runner/messages.js';
import { type Frame, frame } from '../socket/frames.js';

/** The error frame that tells a page's browser its event was refused, and why. */
export function eventRefusedFrame(message: Extract<RunnerToHost, { type: 'event-refused' }>): Frame {
  const { pageId: p, name } = message;
  if (message.reason === 'quarantined') {
    const why = 'its script made a worker stuck or pass its memory limit lately, and is quarantined (see the log)';
    const text = `event '${name}' refused: ${why}`;
    return frame({ t: 'error', p, code: 'SCRIPT_QUARANTINED', message: text });
  }
  const text = `event '${name}' refused: the page already has the most events waiting (maxQueuedEvents)`;
  return frame({ t: 'error', p, code: 'QUEUE_FULL', message: text });
}

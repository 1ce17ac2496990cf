import type { HostToRunner, RunnerToHost } from './messages.js';
import { encodeRequest } from './sandbox/codec.js';

type RenderMessage = Extract<HostToRunner, { type: 'render' }>;

/**
 * The render with its request encoded for the sandbox (codec.ts), done once, where it is made:
 * a worker pool sends a string, which crosses to the worker as it is, instead of a structured
 * clone of the request that the worker would then encode. A request that cannot be encoded (too
 * deeply nested, say) is not the script's fault, and still answered: `render-failed`.
 */
export function encodedRender(message: RenderMessage): RenderMessage | RunnerToHost {
  if (typeof message.request === 'string') return message;
  try {
    return { ...message, request: encodeRequest(message.request) };
  } catch (error) {
    return requestRefused(message, error);
  }
}

/** The answer to a render whose request could not be handed to its script. */
export function requestRefused({ script, pageId }: RenderMessage, error: unknown): RunnerToHost {
  const text = error instanceof Error ? error.message : String(error);
  const message = `the request could not be handed to ${script}: ${text}`;
  return { type: 'render-failed', pageId, error: { code: 'RENDER_ERROR', name: 'Error', message, file: script } };
}

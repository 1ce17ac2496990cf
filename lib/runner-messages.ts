import type { RunnerToHost, ScriptErrorInfo, ScriptRunner } from '../runner/messages.js';
import { formatScriptError } from '../runner/script-error.js';
import type { ResolvedOptions } from './options.js';
import type { PageRegistry } from './pages/page-registry.js';
import { frame } from './socket/frames.js';

/**
 * Takes every message the runner sends: those about pages go to the registry, the rest (logs,
 * script errors, channel publications) are handled here.
 */
export function routeRunnerMessages(
  runner: ScriptRunner,
  registry: PageRegistry,
  options: Pick<ResolvedOptions, 'dev' | 'logger'>,
): void {
  runner.onMessage((message: RunnerToHost) => {
    if (registry.receive(message)) return;
    switch (message.type) {
      case 'publish':
        // Later, never inside the handler that published: its own page may be a subscriber.
        setImmediate(() => {
          if (!registry.closing) runner.post({ type: 'deliver', channel: message.channel, data: message.data });
        });
        return;
      case 'script-error':
        return scriptError(registry, options, message.script, message.pageId, message.error);
      case 'log': {
        const page = message.pageId ? ` [page ${message.pageId.slice(0, 6)}]` : '';
        const where = message.script ? `${message.script}${page}: ` : '';
        options.logger[message.level](`${where}${message.text}`);
        return;
      }
      case 'rendered':
      case 'render-failed':
      case 'push':
      case 'broadcast':
      case 'page-closed':
      case 'event-refused':
      case 'page-options':
        // The registry's: never reached.
        return;
      default: {
        const unknown: never = message;
        throw new Error(`unknown runner message ${JSON.stringify(unknown)}`);
      }
    }
  });
}

/** Logged with its code frame; in dev, also shown in the page whose script failed. */
function scriptError(
  registry: PageRegistry,
  options: Pick<ResolvedOptions, 'dev' | 'logger'>,
  script: string,
  pageId: string | undefined,
  error: ScriptErrorInfo,
): void {
  const detail = [error.stack, error.frame].filter(Boolean).join('\n\n');
  options.logger.error(`${formatScriptError(error)} (${error.code}, ${script})${detail ? `\n${detail}` : ''}`);
  if (!options.dev || !pageId) return;
  registry.sendToPage(pageId, frame({ t: 'error', p: pageId, code: error.code, message: formatScriptError(error), detail }));
}

import type { RunnerToHost, ScriptRunner } from '../runner/messages.js';
import type { BusMessage } from './cluster/cluster-messages.js';
import type { Publish } from './app-calls.js';
import { formatScriptError } from '../runner/script-error.js';
import { createErrorReporter } from './errors.js';
import type { ResolvedOptions } from './options.js';
import type { PageRegistry } from './pages/page-registry.js';
import type { SharedCalls } from './shared/shared-calls.js';
import { type ComponentIncludes, isIncludeCall } from './component-includes.js';
import { frame } from './socket/frames.js';
import type { UploadHub } from './uploads/upload-hub.js';

/** How a publication or broadcast reaches the other processes of a cluster (nothing alone). */
export type Spread = (message: BusMessage) => void;

/** What reaches this process's pages: a publication or broadcast, from here or another process. */
export interface LocalDelivery {
  publish: Publish;
  receive(message: BusMessage): void;
}

/**
 * Takes every message the runner sends: those about pages go to the registry, the rest (logs,
 * script errors, channel publications) are handled here. Script errors are logged and handed to
 * `onError`; in dev, the page whose script failed shows them too. Publications and broadcasts
 * reach this process's pages and, through `spread`, every other process's. Returns how a
 * publication reaches every subscriber, for the app's `wire.publish` to take the same path, and
 * how one from another process reaches this one's.
 */
export function routeRunnerMessages(
  runner: ScriptRunner,
  registry: PageRegistry,
  options: Pick<ResolvedOptions, 'dev' | 'logger' | 'onError'>,
  spread: Spread,
  sharedCalls?: SharedCalls,
  includes?: ComponentIncludes,
  uploads?: UploadHub,
): LocalDelivery {
  const report = createErrorReporter(options);
  const publishHere: Publish = (channel, data) => {
    // Later, never inside the handler that published: its own page may be a subscriber.
    setImmediate(() => {
      if (!registry.closing) runner.post({ type: 'deliver', channel, data });
    });
  };
  const publish: Publish = (channel, data) => {
    publishHere(channel, data);
    spread({ kind: 'publish', channel, data });
  };
  const receive = (message: BusMessage): void => {
    if (message.kind === 'publish') return publishHere(message.channel, message.data);
    registry.receive({ type: 'broadcast', script: message.script, name: message.name, data: message.data });
  };
  const route = (message: RunnerToHost): void => {
    // A script's upload rules are the host's; the hub also hears of every page that is gone.
    if (uploads?.take(message)) return;
    if (message.type === 'broadcast') {
      const { script, name, data } = message;
      spread({ kind: 'broadcast', script, name, data });
    }
    if (registry.receive(message)) return;
    switch (message.type) {
      case 'publish':
        return publish(message.channel, message.data);
      case 'script-error': {
        const { script, pageId, error } = message;
        report.scriptError(error, { script, pageId });
        if (!options.dev || !pageId) return;
        const detail = [error.stack, error.frame].filter(Boolean).join('\n\n');
        const text = formatScriptError(error);
        registry.sendToPage(pageId, frame({ t: 'error', p: pageId, code: error.code, message: text, detail }));
        return;
      }
      case 'log':
        return report.runnerLog(message);
      case 'shared-call':
        if (includes && isIncludeCall(message)) return includes.take(message);
        return sharedCalls?.take(message);
      case 'rendered':
      case 'render-failed':
      case 'push':
      case 'broadcast':
      case 'page-closed':
      case 'event-refused':
      case 'event-done':
      case 'page-options':
        // The registry's: never reached.
        return;
      default: {
        const unknown: never = message;
        throw new Error(`unknown runner message ${JSON.stringify(unknown)}`);
      }
    }
  };
  runner.onMessage((message) => {
    // A bug here must not become an exception in the runner's delivery (a worker's message
    // event, the in-process runner's flush): it is reported like any failure.
    try {
      route(message);
    } catch (error) {
      report.failure(error, {
        code: 'RUNNER_MESSAGE_FAILED',
        doing: `handling the runner's '${message.type}' message`,
      });
    }
  });
  return { publish, receive };
}

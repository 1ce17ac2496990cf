import type { ScriptErrorInfo } from '../../runner/messages.js';
import { formatScriptError } from '../../runner/script-error.js';
import { escapeHtml } from './html.js';

/** In dev: the error, where it happened and the code around it. */
export function devErrorPage(error: ScriptErrorInfo): string {
  const parts = [
    '<!doctype html><html><head><meta charset="utf-8">',
    `<title>${escapeHtml(error.name)}: ${escapeHtml(error.message)}</title>`,
    '<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem;color:#222}',
    'pre{background:#fff5f5;border-left:4px solid #d33;padding:1rem;overflow:auto;',
    'font:13px/1.45 ui-monospace,monospace}',
    'h1{font-size:1.3rem;color:#b00}</style></head><body>',
    `<h1>${escapeHtml(formatScriptError(error))}</h1>`,
    `<p>${escapeHtml(error.code)}</p>`,
  ];
  if (error.frame) parts.push(`<pre class="pagewire-frame">${escapeHtml(error.frame)}</pre>`);
  if (error.stack) parts.push(`<pre class="pagewire-stack">${escapeHtml(error.stack)}</pre>`);
  parts.push('</body></html>');
  return parts.join('\n');
}

/** In production: nothing about the code, only an id to find the details in the server log. */
export function productionErrorPage(status: number, requestId: string): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>Error ${status}</title></head><body>` +
    '<h1>Something went wrong</h1><p>The error was logged on the server with request id ' +
    `<code>${escapeHtml(requestId)}</code>.</p></body></html>`
  );
}

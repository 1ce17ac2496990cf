/** A render: a new page, the script's top-level code run for it, and what the host gets back. */
import type { EncodedRenderResult, EncodedRequest } from '../api.js';
import { decodeRequest, encodeRenderResult } from '../codec.js';
import { mainScript, port } from './boot.js';
import { closePage } from './close.js';
import { toRawError } from './errors.js';
import { inPage, track } from './current-page.js';
import { isThenable } from './inspect.js';
import { makePageGlobals } from './page-globals.js';
import { isLive, newPage, type PageState } from './pages.js';
import { mainScriptFactory } from './require.js';

/** The result, or `''` when the script awaits at top level: the port then says `rendered`. */
export function render(pageId: string, encodedRequest: EncodedRequest): EncodedRenderResult | '' {
  const factory = mainScriptFactory();
  if (!factory) return failure(new Error(`${mainScript} did not register itself`));
  const page = newPage(pageId);
  let result: unknown;
  try {
    const globals = makePageGlobals(page, decodeRequest(encodedRequest));
    track(page, globals);
    result = inPage(page, () => factory(globals));
    if (!isThenable(result)) return finish(page);
  } catch (error) {
    return renderFailed(page, error);
  }
  Promise.resolve(result)
    .then(() => finish(page))
    .then(
      (output) => port('rendered', pageId, output),
      (error: unknown) => port('rendered', pageId, renderFailed(page, error)),
    );
  return '';
}

/** Ends the render: the page is live or closed from now on. */
function finish(page: PageState): EncodedRenderResult {
  // The script caught the echo's error and went on: the render fails all the same.
  if (page.overflow) return renderFailed(page, page.overflow);
  page.rendering = false;
  const live = page.state !== 'closed' && isLive(page);
  const body = page.out.join('');
  page.out = [];
  const result = encodeRenderResult({ ok: true, status: page.status, headers: page.headers, live, body });
  // A script may call page.close() while rendering: it is then a plain page after all.
  if (live) page.state = 'live';
  else closePage(page, 'closed-by-script');
  Object.freeze(page.headers);
  return result;
}

function renderFailed(page: PageState, error: unknown): EncodedRenderResult {
  // Whatever the script opened before it threw is released now, not leaked.
  page.rendering = false;
  closePage(page, 'render-failed');
  return failure(error);
}

function failure(error: unknown): EncodedRenderResult {
  return encodeRenderResult({ ok: false, error: toRawError(error) });
}

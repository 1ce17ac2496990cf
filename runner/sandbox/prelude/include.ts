/**
 * `include(path, props)`: another script rendered as a live component of this page. The host
 * renders it as a page of its own, owned by this one (lib/component-includes.ts): its own state,
 * hooks, timers and resources, ending with this page. What it answers is the component's HTML in
 * its root, `<pw-component data-pw-page="...">`, as an `html` value: echoed, or interpolated into
 * a larger template. A script that is not live is included as its HTML alone (a PHP include).
 *
 * It travels as a shared call (`op: 'pw:include'`, shared.ts's `hostCall`), which the host takes
 * before its store: the same port, answers and per-page bounds.
 */
import type { SharedOp } from '../../../lib/shared/shared-op.js';
import { HtmlString } from './html.js';
import { sharedJsonText } from '../../../lib/shared/json-value.js';
import type { PageState } from './pages.js';
import { inspect } from './inspect.js';
import { hostCall } from './shared.js';

/** The operation's name in a shared call: never one of the store's. */
export const INCLUDE_OP = 'pw:include';

export type Include = (path: string, props?: unknown) => Promise<HtmlString>;

export function makeInclude(page: PageState): Include {
  let owning = false;
  return async (path: string, props?: unknown): Promise<HtmlString> => {
    // Made here, where the script called: a failure is thrown with its stack at the script's line.
    const site = new Error();
    if (typeof path !== 'string' || !path.startsWith('/')) {
      const got = typeof path === 'string' ? `'${path}'` : inspect(path);
      throw new TypeError(
        "include(path, props): path must start with / (a path from the scripts folder's root, as in " +
          `'/widgets/clock'; not relative to this script), got ${got}`,
      );
    }
    const value = props === undefined ? 'null' : sharedJsonText(props, `include('${path}', props)`);
    if (!owning) {
      owning = true;
      // A page with components is live: its browser joins it, and them through it.
      page.closeHooks.push(() => undefined);
    }
    try {
      const op = { op: INCLUDE_OP, key: path, value } as unknown as SharedOp;
      const html = await hostCall(page, () => op);
      return new HtmlString(typeof html === 'string' ? html : '');
    } catch (error) {
      site.message = (error as Error).message;
      void site.stack;
      throw site;
    }
  };
}

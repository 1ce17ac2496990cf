/*
 * The trusted prelude: runs once inside every script sandbox (one vm2 NodeVM per script
 * version), before any script code. `npm run build` bundles these modules into one CommonJS
 * script (tools/bundle.mjs) that vm2 runs; the host reads the API it exports (api.ts).
 *
 * It owns everything per page: the output buffer, `request`/`response`, the mailbox that runs
 * events one at a time, timers, close hooks, owned resources and channel subscriptions. Keeping
 * them here, in the sandbox's realm, means the host crosses vm2's bridge once per render or
 * event, with strings only.
 */
import type { SandboxApi } from '../api.js';
import { sandboxGlobals } from './boot.js';
import { deliver } from './channels.js';
import { closePages } from './close.js';
import { installPageGetters } from './current-page.js';
import { installStackFrames } from './errors.js';
import { html, json, raw } from './html.js';
import { dispatch } from './mailbox.js';
import { abortModuleFetches } from './page-fetch.js';
import { refuseProcessControl } from './process.js';
import { render } from './render.js';
import { sharedAnswer } from './shared.js';
import { installRegistration } from './require.js';
import { disposeModuleTimers, installClockDate, installModuleTimers } from './timers.js';
import { installWebGlobals } from './web-globals.js';

installStackFrames();
installModuleTimers();
installClockDate();
sandboxGlobals.html = html;
sandboxGlobals.raw = raw;
sandboxGlobals.json = json;
refuseProcessControl();
installRegistration();
installWebGlobals();
installPageGetters();

const dispose = () => {
  disposeModuleTimers();
  abortModuleFetches();
};
const api: SandboxApi = { render, dispatch, closePages, deliver, sharedAnswer, dispose };
export default api;

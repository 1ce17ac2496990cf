/**
 * Installs the forbidden-module guard as a side effect of being imported: a worker thread imports
 * this first, before the modules it runs scripts with (vm2 requires `vm`), so that the guard sees
 * every `require` of the thread and checks a package that reaches a forbidden module through them.
 */
import { installGuard } from './forbidden-guard.js';

installGuard();

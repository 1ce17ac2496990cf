/**
 * Modules that could stop the server or step outside the sandbox. vm2 also refuses some of
 * them by itself; listing them here gives scripts a clear error instead of "Cannot find module".
 */
export const DEFAULT_FORBIDDEN_MODULES: readonly string[] = Object.freeze([
  'child_process',
  'cluster',
  'worker_threads',
  'vm',
  'inspector',
  'module',
  'process',
  'repl',
  'trace_events',
  'wasi',
  'v8',
]);

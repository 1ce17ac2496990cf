/** Where Pagewire writes what happens: script output, script errors, refused sockets. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Writes to the console, each line prefixed with `[pagewire]`. */
export const consoleLogger: Logger = {
  debug: (message) => console.debug(`[pagewire] ${message}`),
  info: (message) => console.info(`[pagewire] ${message}`),
  warn: (message) => console.warn(`[pagewire] ${message}`),
  error: (message) => console.error(`[pagewire] ${message}`),
};

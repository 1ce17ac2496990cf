/** What a script may not do to the process it shares with the server. */

const REFUSED = ['exit', 'abort', 'kill', 'reallyExit', 'chdir', 'setuid', 'setgid'];

export function refuseProcessControl(): void {
  const sandboxProcess = process as unknown as Record<string, unknown>;
  for (const name of REFUSED) {
    sandboxProcess[name] = () => {
      throw new Error(
        `process.${name}() is not available to a Pagewire script: scripts share the server process. ` +
          'Close the page with page.close() instead.',
      );
    };
  }
}

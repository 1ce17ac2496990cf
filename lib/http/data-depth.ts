/**
 * How deep a browser's data may nest objects and arrays: a request body (whoever parsed it) and a
 * socket event's data. Deeper data is refused where it arrives, with a 400 or an error frame, so
 * that nothing downstream (the sandbox's copy without prototypes, `JSON.stringify`, a script's
 * own recursive walk) runs out of stack on it: 5,000 levels did, as the script's RENDER_ERROR.
 * A constant, not an option: no form or API a page sends needs more, and a site that does can
 * send its data as a string and parse it itself.
 */
export const MAX_DATA_DEPTH = 64;

/**
 * `value` nests objects and arrays deeper than `max` (`{}` and `[]` are one level; a string, none).
 * Walked with a stack of its own, not by recursion: the data it refuses is what would overflow one.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<{ item: object; depth: number }> = [];
  if (value !== null && typeof value === 'object') stack.push({ item: value, depth: 1 });
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (next.depth > max) return true;
    for (const field of Object.values(next.item)) {
      if (field !== null && typeof field === 'object') stack.push({ item: field as object, depth: next.depth + 1 });
    }
  }
  return false;
}

/** The reason given for data nested too deep: what it was, and what to do. */
export function tooDeepMessage(what: string): string {
  return `${what} nests objects and arrays more than ${MAX_DATA_DEPTH} levels deep: send flatter data`;
}

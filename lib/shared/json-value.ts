/**
 * The JSON text of a value for the shared store, or a TypeError that names the key and where in
 * the value the offending part sits (`value.user.born is a Date`). Only plain JSON data passes:
 * what `JSON.stringify` would silently drop or change (undefined, functions, symbols, NaN, a
 * Date's string, a Map's `{}`, a class instance's fields without its class) would come back as
 * something else from `get`, so it is refused rather than stored changed.
 *
 * Pure and realm-free: the sandbox's prelude runs it on a script's values (whose prototypes are
 * the sandbox's), and the host on `wire.shared`'s.
 */

/** Nesting deeper than this is refused, as the socket refuses deeper event data (data-depth.ts). */
export const MAX_SHARED_DEPTH = 64;

export function sharedJsonText(value: unknown, call: string): string {
  const problem = notJson(value, 'value', new Set(), 0);
  if (problem !== undefined) {
    throw new TypeError(
      `${call}: the value must be plain JSON data (null, booleans, finite numbers, strings, arrays, ` +
        `plain objects), but ${problem}. Convert it first (a Date to date.toISOString(), a Map to ` +
        'Object.fromEntries(map), a class instance to a plain object)',
    );
  }
  return JSON.stringify(value);
}

function notJson(value: unknown, path: string, ancestors: Set<object>, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${String(value)}`;
    case 'undefined':
      return `${path} is undefined`;
    case 'function':
      return `${path} is a function`;
    case 'symbol':
      return `${path} is a symbol`;
    case 'bigint':
      return `${path} is a bigint`;
  }
  if (value === null) return undefined;
  const object = value as object;
  if (ancestors.has(object)) return `${path} refers back to a value that contains it (a cycle)`;
  if (depth >= MAX_SHARED_DEPTH) return `${path} is nested deeper than ${MAX_SHARED_DEPTH} levels`;
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      for (let i = 0; i < object.length; i++) {
        if (!(i in object)) return `${path}[${i}] is a hole (an array slot never set)`;
        const found = notJson(object[i], `${path}[${i}]`, ancestors, depth + 1);
        if (found !== undefined) return found;
      }
      return extraKeys(object, path, true);
    }
    const kind = objectKind(object);
    if (kind !== undefined) return `${path} is ${kind}`;
    const keys = extraKeys(object, path, false);
    if (keys !== undefined) return keys;
    for (const key of Object.keys(object)) {
      const found = notJson((object as Record<string, unknown>)[key], childPath(path, key), ancestors, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  } finally {
    ancestors.delete(object);
  }
}

/** What a non-plain object is ("a Date", "a Map", "an instance of Cart"), or undefined for a plain one. */
function objectKind(object: object): string | undefined {
  const proto = Object.getPrototypeOf(object) as object | null;
  // A plain object's prototype is its realm's Object.prototype (whose own prototype is null), or null.
  if (proto === null || Object.getPrototypeOf(proto) === null) {
    const tag = Object.prototype.toString.call(object).slice(8, -1);
    return tag === 'Object' ? undefined : article(tag);
  }
  const tag = Object.prototype.toString.call(object).slice(8, -1);
  if (tag !== 'Object') return article(tag);
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an instance of a class';
}

/** Symbol keys, or an array's named keys: JSON drops them silently. */
function extraKeys(object: object, path: string, isArray: boolean): string | undefined {
  if (Object.getOwnPropertySymbols(object).length > 0) return `${path} has a symbol key`;
  if (!isArray) return undefined;
  const named = Object.keys(object).find((key) => !/^(0|[1-9]\d*)$/.test(key));
  return named === undefined ? undefined : `${path} is an array with a named property '${named}'`;
}

const article = (name: string) => `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const childPath = (path: string, key: string) =>
  IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;

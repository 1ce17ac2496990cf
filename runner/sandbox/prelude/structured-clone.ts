/**
 * `structuredClone` in the sandbox's own realm. The host's cannot clone what a script made (vm2
 * proxies are not clonable); `@ungap/structured-clone` walks the value here, so clones are
 * sandbox objects (`instanceof Map` holds). It throws a plain TypeError on a function or a
 * symbol; the platform throws a `DataCloneError` naming the value, and so does this (an `Error`
 * named `DataCloneError`, with where the value sits).
 */
import { deserialize, serialize } from '@ungap/structured-clone';

export function structuredClone<T>(value: T): T {
  try {
    return deserialize(serialize(value)) as T;
  } catch (error) {
    const found = uncloneable(value, 'value', new Set());
    if (!found) throw error;
    // An Error of this realm: a host DOMException would reach the script nameless (vm2).
    const cloneError = new Error(`${found.what} could not be cloned (at ${found.path})`);
    cloneError.name = 'DataCloneError';
    throw cloneError;
  }
}

function uncloneable(value: unknown, path: string, seen: Set<unknown>): { what: string; path: string } | undefined {
  if (typeof value === 'function') return { what: `function ${value.name || '(anonymous)'}`, path };
  if (typeof value === 'symbol') return { what: String(value), path };
  if (value === null || typeof value !== 'object' || seen.has(value)) return undefined;
  seen.add(value);
  if (value instanceof Map) {
    for (const [key, item] of value) {
      const found = uncloneable(key, `${path} (a Map key)`, seen) ?? uncloneable(item, `${path}.get(…)`, seen);
      if (found) return found;
    }
    return undefined;
  }
  if (value instanceof Set) {
    for (const item of value) {
      const found = uncloneable(item, `${path} (a Set item)`, seen);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const found = uncloneable(item, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, seen);
    if (found) return found;
  }
  return undefined;
}

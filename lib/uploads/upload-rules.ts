/**
 * The limits of one upload name (`page.allowUpload(name, rules)`), and the checks a file must
 * pass before any of its bytes is sent: its declared size and type. The server's options bound
 * them all: a script's limit above `maxUploadFileBytes` or `maxUploadFiles` is that option.
 */
import type { UploadOptions } from '../limit-options.js';

export interface UploadRules {
  /** Largest file, in bytes. */
  maxFileSize: number;
  /** Most files in one upload (one `<input multiple>` choice, one `serverSocket.upload` call). */
  maxFiles: number;
  /** As the HTML `accept` attribute: `image/*`, `image/png`, `.pdf`; empty: any file. */
  accept: string[];
}

/** A file as the browser declares it before sending it. */
export interface DeclaredFile {
  name: string;
  size: number;
  type: string;
}

type Bounds = Required<Pick<UploadOptions, 'maxUploadFileBytes' | 'maxUploadFiles'>>;

/** The rules of a multipart POST, which no script declared: the server's options. */
export function serverRules(options: Bounds): UploadRules {
  return { maxFileSize: options.maxUploadFileBytes, maxFiles: options.maxUploadFiles, accept: [] };
}

/** A script's rules (JSON made by the prelude, checked again here), bounded by the options; or what is wrong. */
export function parseRules(json: string, options: Bounds): UploadRules | string {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return 'not JSON';
  }
  const { maxFileSize, maxFiles, accept } = (value ?? {}) as Record<string, unknown>;
  const whole = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
  if (maxFileSize !== undefined && !whole(maxFileSize)) return 'maxFileSize must be a whole number of bytes > 0';
  if (maxFiles !== undefined && !whole(maxFiles)) return 'maxFiles must be a whole number > 0';
  if (accept !== undefined && !(Array.isArray(accept) && accept.every((a) => typeof a === 'string' && a !== '')))
    return "accept must be a list of types or extensions ('image/*', '.pdf')";
  return {
    maxFileSize: Math.min((maxFileSize as number | undefined) ?? Infinity, options.maxUploadFileBytes),
    maxFiles: Math.min((maxFiles as number | undefined) ?? Infinity, options.maxUploadFiles),
    accept: ((accept as string[] | undefined) ?? []).map((a) => a.trim().toLowerCase()),
  };
}

/** Whether a file's declared name and type are among `accept` (the HTML attribute's rules). */
export function accepted(accept: readonly string[], file: Pick<DeclaredFile, 'name' | 'type'>): boolean {
  if (accept.length === 0) return true;
  const type = file.type.toLowerCase();
  const name = file.name.toLowerCase();
  return accept.some((rule) =>
    rule.startsWith('.')
      ? name.endsWith(rule)
      : rule.endsWith('/*')
        ? type.startsWith(rule.slice(0, -1))
        : type === rule,
  );
}

/** Why a declared file is refused, or undefined. `option`: the option that bounds the size, for the message. */
export function declaredFileProblem(rules: UploadRules, file: DeclaredFile): string | undefined {
  if (file.size > rules.maxFileSize)
    return (
      `'${file.name}' is ${file.size} bytes, more than ${rules.maxFileSize} ` +
      "(maxFileSize, or the server's maxUploadFileBytes)"
    );
  if (!accepted(rules.accept, file))
    return `'${file.name}' (${file.type || 'no type'}) is not among the accepted types (${rules.accept.join(', ')})`;
  return undefined;
}

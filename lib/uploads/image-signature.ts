/**
 * Which image a file's first bytes are, from their signature: an upload that claims an image
 * type must be that image (a script that shows it, or a browser that opens it, trusts the type).
 * A table of the formats browsers show, rather than a dependency: the check needs only these.
 */

/** Bytes enough to tell every signature below. */
export const SIGNATURE_BYTES = 32;

const ascii = (bytes: Uint8Array, at: number, text: string) =>
  bytes.length >= at + text.length && [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));
const starts = (bytes: Uint8Array, values: number[]) => values.every((value, i) => bytes[i] === value);

/** The image types the server can check, each with its test of the first bytes. */
const SIGNATURES: Record<string, (bytes: Uint8Array) => boolean> = {
  'image/png': (b) => starts(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  'image/jpeg': (b) => starts(b, [0xff, 0xd8, 0xff]),
  'image/gif': (b) => ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a'),
  'image/webp': (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP'),
  'image/bmp': (b) => ascii(b, 0, 'BM'),
  'image/x-icon': (b) => starts(b, [0, 0, 1, 0]),
  'image/tiff': (b) => starts(b, [0x49, 0x49, 0x2a, 0]) || starts(b, [0x4d, 0x4d, 0, 0x2a]),
  'image/avif': (b) => ascii(b, 4, 'ftyp') && (ascii(b, 8, 'avif') || ascii(b, 8, 'avis')),
  'image/heic': (b) => ascii(b, 4, 'ftyp') && (ascii(b, 8, 'heic') || ascii(b, 8, 'heix') || ascii(b, 8, 'mif1')),
};

const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/vnd.microsoft.icon': 'image/x-icon',
  'image/heif': 'image/heic',
};

/** Whether a type is an image's, whose bytes must then match it. */
export function isImageType(type: string): boolean {
  return type.toLowerCase().startsWith('image/');
}

/**
 * Why bytes that begin with `head` are not the image `type` claims, or undefined when they are.
 * An image type the table does not know (SVG, which is a document that runs scripts, among them)
 * cannot be checked, and is refused.
 */
export function imageSignatureProblem(type: string, head: Uint8Array): string | undefined {
  const claimed = ALIASES[type.toLowerCase()] ?? type.toLowerCase();
  const test = SIGNATURES[claimed];
  if (!test) return `'${type}' is not an image type the server can check (${Object.keys(SIGNATURES).join(', ')})`;
  if (test(head)) return undefined;
  const actual = Object.keys(SIGNATURES).find((known) => SIGNATURES[known]?.(head));
  return `its bytes are ${actual ? `a ${actual} image` : 'no image the server knows'}, not ${type} as claimed`;
}

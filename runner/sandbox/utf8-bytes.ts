/**
 * UTF-8 bytes of `text`, as `Buffer.byteLength` counts them, without a Buffer: the sandbox's
 * prelude (which has none of the host's) and the host count alike. Its length when ASCII (a
 * regular expression scans it natively).
 */
export function utf8Bytes(text: string): number {
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && isLowSurrogate(text.charCodeAt(i + 1))) {
      // A surrogate pair: one code point past U+FFFF, 4 bytes.
      bytes += 4;
      i++;
    } else bytes += 3; // the rest of the BMP, and a lone surrogate (written as U+FFFD)
  }
  return bytes;
}

const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit < 0xe000;
const NON_ASCII = /[\u0080-\uffff]/;

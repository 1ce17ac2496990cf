/**
 * URL attributes of `html` templates: which attributes hold URLs, what the browser reads from
 * their value (character references decoded, then the URL parser's trimming), and which schemes
 * an interpolated value may give them.
 */

/**
 * Attributes whose value the browser reads as a URL, from the HTML standard's attribute index
 * (action, cite, data, formaction, href, itemid, itemtype, manifest, ping, poster, src, srcset,
 * imagesrcset), SVG and MathML (`href`, `xlink:href`), and obsolete ones browsers still read
 * (background, codebase, classid, longdesc, lowsrc, dynsrc, profile, archive, usemap).
 * `ping`, `srcset`, `imagesrcset`, `archive` and `itemtype` hold lists: each entry is checked.
 */
const URL_ATTRIBUTES = new Set([
  'action',
  'archive',
  'background',
  'cite',
  'classid',
  'codebase',
  'data',
  'dynsrc',
  'formaction',
  'href',
  'imagesrcset',
  'itemid',
  'itemtype',
  'longdesc',
  'lowsrc',
  'manifest',
  'ping',
  'poster',
  'profile',
  'src',
  'srcset',
  'usemap',
  'xlink:href',
]);
const LIST_ATTRIBUTES = new Set(['ping', 'srcset', 'imagesrcset', 'archive', 'itemtype']);
/** SVG animation can set an `href` to any of these values (`<set attributeName="href" to="…">`). */
const ANIMATION_ELEMENTS = new Set(['set', 'animate']);
const ANIMATION_VALUES = new Set(['to', 'from', 'values', 'by']);

/** `data:` images, allowed where only an image is loaded; not SVG, which can hold script. */
const IMAGE_ELEMENTS: Readonly<Record<string, ReadonlySet<string>>> = {
  img: new Set(['src', 'srcset']),
  source: new Set(['src', 'srcset']),
  input: new Set(['src']),
  video: new Set(['poster']),
  link: new Set(['href', 'imagesrcset']),
};
const DATA_IMAGE = /^data:image\/(?:png|gif|jpeg|jpg|pjpeg|webp|avif|bmp|x-icon|vnd\.microsoft\.icon)[;,]/i;

/** The schemes an interpolated value may give a URL; a URL with no scheme (relative) is fine too. */
export const SAFE_SCHEMES = ['http', 'https', 'mailto', 'tel', 'sms', 'ftp'];

export function isUrlAttribute(element: string, name: string): boolean {
  return URL_ATTRIBUTES.has(name) || (ANIMATION_ELEMENTS.has(element) && ANIMATION_VALUES.has(name));
}

/**
 * The character references that matter here, decoded: those of the URL parser's scheme and
 * whitespace and of JavaScript's syntax. Any other named reference decodes to a character that
 * is neither, so leaving it as text changes no verdict; `known` says whether one was met.
 */
const NAMED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  QUOT: '"',
  apos: "'",
  Tab: '\t',
  NewLine: '\n',
  colon: ':',
  plus: '+',
  period: '.',
  sol: '/',
  bsol: '\\',
  grave: '`',
  lpar: '(',
  rpar: ')',
  lsqb: '[',
  rsqb: ']',
  lcub: '{',
  rcub: '}',
  semi: ';',
  comma: ',',
  excl: '!',
  ast: '*',
  equals: '=',
  dollar: '$',
  num: '#',
  percnt: '%',
  quest: '?',
  commat: '@',
  lowbar: '_',
  verbar: '|',
  Hat: '^',
  nbsp: '\u00a0',
};
/** Named references a browser decodes without their `;` (in an attribute, not before `=` or a letter). */
const LEGACY = new Set(['amp', 'lt', 'gt', 'quot', 'QUOT', 'nbsp']);
const REFERENCE = /&(?:#[xX]([0-9a-fA-F]+);?|#([0-9]+);?|([a-zA-Z][a-zA-Z0-9]*)(;?))/g;

/** An attribute value's text as the browser reads it; `unknown` counts named references not decoded. */
export function decodeAttribute(text: string): { text: string; unknown: number } {
  let unknown = 0;
  if (!text.includes('&')) return { text, unknown };
  const decoded = text.replace(REFERENCE, (match, hex, decimal, name, semicolon, offset: number) => {
    if (hex !== undefined || decimal !== undefined) {
      const code = Number.parseInt(hex ?? decimal, hex !== undefined ? 16 : 10);
      const valid = code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
      return valid ? String.fromCodePoint(code) : '\ufffd';
    }
    const next = text[offset + match.length] ?? '';
    const char = NAMED[name as string];
    if (char !== undefined && (semicolon || (LEGACY.has(name) && !/[=a-zA-Z0-9]/.test(next)))) return char;
    unknown++;
    return match;
  });
  return { text: decoded, unknown };
}

/**
 * The scheme the browser's URL parser finds in `url`, lower case, or `''` for a URL without one.
 * The parser drops leading C0 controls and spaces, and tabs and newlines anywhere
 * (`java\tscript:` is `javascript:`); every C0 control is dropped here, which can only refuse more.
 */
export function schemeOf(url: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the URL parser's own rule.
  const seen = url.replace(/[\u0000-\u001f]/g, '').replace(/^ +/, '');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(seen);
  return scheme ? (scheme[1] as string).toLowerCase() : '';
}

/**
 * Whether the static text before an attribute's first interpolation settles its URL as safe
 * (`/people/`, `./`, `https://x/`): no value after it can give the URL a scheme, so renders need
 * not check it. Not for lists, where any entry may start a URL.
 */
export function prefixSettlesSafe(element: string, name: string, prefix: string): boolean {
  if (LIST_ATTRIBUTES.has(name) || ANIMATION_ELEMENTS.has(element)) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the URL parser's own rule.
  const seen = prefix.replace(/[\u0000-\u001f]/g, '').replace(/^ +/, '');
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*/.exec(seen)?.[0];
  if (seen === '' || seen.length === scheme?.length) return false;
  // A lone `/` (or `\`) does not settle the host: `/` + `/evil.example/x` is `//evil.example/x`.
  if (seen === '/' || seen === '\\') return false;
  if (scheme === undefined || seen[scheme.length] !== ':') return true;
  return SAFE_SCHEMES.includes(scheme.toLowerCase());
}

/**
 * Whether a value after a static `/` gives the URL its host: the browser reads `//host` and
 * `/\host` (tabs, newlines and C0 controls dropped) as a network-path reference.
 */
export function valueSetsHost(prefix: string, value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the URL parser's own rule.
  const seen = (text: string) => text.replace(/[\u0000-\u001f]/g, '').replace(/^ +/, '');
  const start = seen(prefix);
  return (start === '/' || start === '\\') && /^[/\\]/.test(seen(value));
}

/**
 * `name` and `id` make an element a named property of `document` (forms, images, frames, embeds
 * and objects by name; images and objects by id too), and Document's named properties override
 * its own ones: `<form name="serverSocket">` would replace the client's `document.serverSocket`
 * for the page's own code. A value may not give such an attribute a name the client defines.
 */
export const CLIENT_NAMES: ReadonlySet<string> = new Set(['serverSocket']);
export const isNamingAttribute = (name: string) => name === 'name' || name === 'id';

/** The entries of a URL attribute's value that are each a URL. */
function entriesOf(name: string, element: string, value: string): string[] {
  if (ANIMATION_ELEMENTS.has(element) && ANIMATION_VALUES.has(name)) return value.split(';');
  // A srcset's commas may sit inside a URL: splitting on them too can only find more to check.
  if (LIST_ATTRIBUTES.has(name)) return value.split(/[\s,]+/);
  return [value];
}

/**
 * Why the browser must not get this URL attribute's value, or `undefined` if it may: `value` is
 * the whole value as the browser reads it, interpolations included.
 */
export function refusedUrl(element: string, name: string, value: string): { scheme: string } | undefined {
  for (const entry of entriesOf(name, element, value)) {
    const scheme = schemeOf(entry);
    if (scheme === '' || SAFE_SCHEMES.includes(scheme)) continue;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the URL parser's own rule.
    const seen = entry.replace(/[\u0000-\u001f]/g, '').replace(/^ +/, '');
    if (scheme === 'data' && IMAGE_ELEMENTS[element]?.has(name) && DATA_IMAGE.test(seen)) continue;
    return { scheme };
  }
  return undefined;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/**
 * Puts `tag` at the start of the document, after a doctype if there is one: the client must
 * load before the page's own inline scripts, and a page need not have `<head>` or `</body>`.
 */
export function injectAtStart(body: string, tag: string): string {
  const doctype = /^\s*<!doctype[^>]*>/i.exec(body);
  if (!doctype) return tag + body;
  const end = doctype[0].length;
  return body.slice(0, end) + tag + body.slice(end);
}

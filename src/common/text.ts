/** Turns a display name into a URL-safe slug: "Acme Corp." → "acme-corp". */
export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/g, '');
  return s || 'tenant';
}

export function iso(d: Date | string | null | undefined): string | null {
  if (d === null || d === undefined) return null;
  return new Date(d).toISOString();
}

/** What `\s` matches in a JavaScript regular expression (ECMAScript WhiteSpace and LineTerminator). */
function isJsWhitespace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) ||
    c === 32 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * `s.replace(/\s+/g, ' ')` in one pass without a regular expression: on
 * hostile input (a 4 MB run of U+2000 in an HTML cell) the regex threw
 * "Maximum call stack size exceeded" in a CI run. Linear in `s`.
 */
export function collapseWhitespace(s: string): string {
  let out = '';
  let start = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    if (!isJsWhitespace(s.charCodeAt(i))) continue;
    out += s.slice(start, i) + ' ';
    while (i + 1 < n && isJsWhitespace(s.charCodeAt(i + 1))) i++;
    start = i + 1;
  }
  return start === 0 ? s : out + s.slice(start);
}

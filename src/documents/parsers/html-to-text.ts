/**
 * A small, careful HTML → text converter (no dependency): drops comments,
 * <script>, <style>, <noscript>, <template>, <svg>, <head>'s metadata; turns
 * block elements and <br> into line breaks, list items into "- " lines and
 * table cells into " | "; decodes named (common), decimal and hex entities;
 * collapses whitespace outside <pre>.
 */
const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ndash: '–', mdash: '—', hellip: '…',
  lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', copy: '©', reg: '®', trade: '™',
  deg: '°', middot: '·', bull: '•', euro: '€', pound: '£', yen: '¥', cent: '¢', sect: '§', para: '¶',
  times: '×', divide: '÷', plusmn: '±', frac12: '½', frac14: '¼', frac34: '¾', shy: '', zwj: '', zwnj: '',
  eacute: 'é', egrave: 'è', ecirc: 'ê', euml: 'ë', aacute: 'á', agrave: 'à', acirc: 'â', auml: 'ä', aring: 'å',
  iacute: 'í', igrave: 'ì', icirc: 'î', iuml: 'ï', oacute: 'ó', ograve: 'ò', ocirc: 'ô', ouml: 'ö', oslash: 'ø',
  uacute: 'ú', ugrave: 'ù', ucirc: 'û', uuml: 'ü', ccedil: 'ç', ntilde: 'ñ', szlig: 'ß', aelig: 'æ',
  Eacute: 'É', Aacute: 'Á', Ouml: 'Ö', Uuml: 'Ü', Auml: 'Ä', Ccedil: 'Ç', Ntilde: 'Ñ',
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z][a-z0-9]*);?/gi, (m, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\uFFFD';
      return String.fromCodePoint(code);
    }
    const v = NAMED[body] ?? NAMED[body.toLowerCase()];
    return v !== undefined && (m.endsWith(';') || ['amp', 'lt', 'gt', 'quot', 'nbsp'].includes(body.toLowerCase())) ? v : m;
  });
}

const BLOCK = new Set([
  'p', 'div', 'section', 'article', 'header', 'footer', 'main', 'nav', 'aside', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'ul', 'ol', 'dl', 'dt', 'dd', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'blockquote', 'pre', 'figure', 'figcaption',
  'form', 'fieldset', 'address', 'hr', 'title', 'body', 'html', 'details', 'summary', 'caption',
]);
const DROP = ['script', 'style', 'noscript', 'template', 'svg', 'iframe', 'object', 'canvas', 'head'];

const PRE_SPACE = '\u0007';

export function htmlToText(html: string): string {
  let s = html.replace(/<!--[\s\S]*?(?:-->|$)/g, ' ').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, ' ').replace(/<!doctype[^>]*>/gi, '');
  // Keep the document title (it names the document) before dropping <head>.
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(s)?.[1];
  for (const tag of DROP) s = s.replace(new RegExp(`<${tag}\\b[^>]*>[\\s\\S]*?(?:</${tag}\\s*>|$)`, 'gi'), ' ');
  const out: string[] = [];
  if (title && title.trim()) out.push(decodeEntities(title.replace(/<[^>]*>/g, '')).trim() + '\n\n');
  let inPre = 0;
  const tagRe = /<\/?([a-zA-Z][a-zA-Z0-9-]*)\b(?:[^>"']|"[^"]*"|'[^']*')*>/g;
  let last = 0;
  for (let m = tagRe.exec(s); m; m = tagRe.exec(s)) {
    const textPart = s.slice(last, m.index);
    // Inside <pre>, spaces are protected from the final whitespace clean-up.
    out.push(inPre ? decodeEntities(textPart).replace(/[ \t]/g, PRE_SPACE) : decodeEntities(textPart.replace(/\s+/g, ' ')));
    last = tagRe.lastIndex;
    const name = m[1].toLowerCase();
    const closing = m[0][1] === '/';
    if (name === 'pre') inPre += closing ? -1 : 1;
    if (inPre < 0) inPre = 0;
    if (name === 'br') out.push('\n');
    else if (name === 'li' && !closing) out.push('\n- ');
    else if ((name === 'td' || name === 'th') && closing) out.push(' | ');
    else if (BLOCK.has(name)) out.push(name === 'tr' || name === 'li' ? '\n' : '\n\n');
  }
  const tail = s.slice(last).replace(/<[^>]*$/, '');
  out.push(decodeEntities(tail.replace(/\s+/g, ' ')));
  return out
    .join('')
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0]+/g, ' ').replace(/\s*\|\s*$/, '').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(new RegExp(PRE_SPACE, 'g'), ' ')
    .trim();
}

import { DEFAULT_PARSE_LIMITS, ParseLimits, TextSink } from './limits';
import { tokenizeMarkup } from './markup';

/**
 * HTML → text with a real tokenizer (htmlparser2's, linear in its input):
 * keeps the document title first, drops comments and the content of
 * <script>, <style>, <noscript>, <template>, <svg>, <iframe>, <object>,
 * <canvas> and <head>; turns block elements into blank lines, <br> and <tr>
 * into line breaks, list items into "- " lines and table cells into " | ";
 * decodes every HTML entity; collapses whitespace outside <pre>. The text is
 * capped at limits.maxExtractedBytes (413 past it).
 */
const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'header',
  'footer',
  'main',
  'nav',
  'aside',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'ul',
  'ol',
  'dl',
  'dt',
  'dd',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'blockquote',
  'figure',
  'figcaption',
  'form',
  'fieldset',
  'address',
  'hr',
  'body',
  'html',
  'details',
  'summary',
  'caption',
]);
const DROP = new Set(['script', 'style', 'noscript', 'template', 'svg', 'iframe', 'object', 'canvas', 'head']);
/** Elements whose content the tokenizer reads as raw text, so `<script/>` still opens one (as browsers do). */
const RAW_TEXT = new Set(['script', 'style', 'title', 'textarea', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext']);
const VOID = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'area', 'base', 'col', 'embed', 'source', 'track', 'wbr', 'param']);

export function htmlToText(html: string, name = 'The file', limits: ParseLimits = DEFAULT_PARSE_LIMITS): string {
  const body = new TextSink(name, limits);
  const title = new TextSink(name, limits);
  let dropDepth = 0;
  let preDepth = 0;
  let inTitle = false;
  let titleDone = false;

  const open = (tag: string) => {
    if (DROP.has(tag)) {
      dropDepth++;
      body.gap();
    } else if (tag === 'title') {
      inTitle = !titleDone;
    } else if (dropDepth === 0) {
      if (tag === 'br') body.lineBreak(1);
      else if (tag === 'li') {
        body.lineBreak(1);
        body.text('- ');
      } else if (tag === 'tr') body.lineBreak(1);
      else if (tag === 'pre') {
        preDepth++;
        body.lineBreak(2);
      } else if (BLOCK.has(tag)) body.lineBreak(2);
    }
  };
  const close = (tag: string) => {
    if (DROP.has(tag)) {
      if (dropDepth > 0) dropDepth--;
      body.gap();
    } else if (tag === 'title') {
      if (inTitle) titleDone = true;
      inTitle = false;
    } else if (dropDepth === 0) {
      if (tag === 'br' || tag === 'tr') body.lineBreak(1);
      else if (tag === 'td' || tag === 'th') body.cellEnd();
      else if (tag === 'pre') {
        if (preDepth > 0) preDepth--;
        body.lineBreak(2);
      } else if (BLOCK.has(tag)) body.lineBreak(2);
    }
  };

  tokenizeMarkup(html, false, {
    open: (tag, selfClosing) => {
      open(tag);
      if (selfClosing && !RAW_TEXT.has(tag) && !VOID.has(tag)) close(tag);
    },
    close,
    text: (s) => {
      if (inTitle) title.text(s);
      else if (dropDepth > 0) return;
      else if (preDepth > 0) body.raw(s.replace(/\r\n?/g, '\n'));
      else body.text(s);
    },
    other: () => {
      if (dropDepth === 0) body.gap();
    },
  });
  const t = title.toString().trim();
  const b = body.toString().trim();
  return t && b ? `${t}\n\n${b}` : t || b;
}

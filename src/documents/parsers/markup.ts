import { Tokenizer } from 'htmlparser2';

export interface MarkupHandler {
  /** An element opened; `selfClosing` for `<x/>`. */
  open(name: string, selfClosing: boolean): void;
  close(name: string): void;
  /** Character data, entities already decoded (may arrive in several pieces). */
  text(s: string): void;
  /** A comment, CDATA section, declaration or processing instruction. */
  other(): void;
}

/**
 * Streams the tokens of an HTML or XML string to a handler with htmlparser2's
 * Tokenizer: a single-pass state machine, linear in its input whatever the
 * input is (unclosed tags, `<a<a<a…`, unterminated comments or attributes).
 * htmlparser2's Parser is not used: it keeps a stack of open elements that
 * it searches and shifts on every tag, quadratic on deeply nested input.
 * Tag names are lower-cased in HTML mode, kept in XML mode.
 */
export function tokenizeMarkup(source: string, xmlMode: boolean, h: MarkupHandler): void {
  let tagName = '';
  const name = (start: number, end: number) => (xmlMode ? source.slice(start, end) : source.slice(start, end).toLowerCase());
  const tokenizer = new Tokenizer(
    { xmlMode, decodeEntities: true },
    {
      ontext: (start, end) => h.text(source.slice(start, end)),
      ontextentity: (cp) => h.text(String.fromCodePoint(cp)),
      onopentagname: (start, end) => {
        tagName = name(start, end);
      },
      onopentagend: () => h.open(tagName, false),
      onselfclosingtag: () => h.open(tagName, true),
      onclosetag: (start, end) => h.close(name(start, end)),
      oncomment: () => h.other(),
      oncdata: () => h.other(),
      ondeclaration: () => h.other(),
      onprocessinginstruction: () => h.other(),
      onattribname: () => undefined,
      onattribdata: () => undefined,
      onattribentity: () => undefined,
      onattribend: () => undefined,
      onend: () => undefined,
    },
  );
  tokenizer.write(source);
  tokenizer.end();
}

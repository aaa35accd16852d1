import { AppException } from '../../common/app-exception';
import { collapseWhitespace } from '../../common/text';

/**
 * What one upload may cost the parser, passed in as plain data (parseDocument
 * runs in a worker thread, with no Nest and no config of its own).
 * - maxExtractedBytes: UTF-8 bytes of extracted text (MAX_EXTRACTED_MB), every format.
 * - maxPdfPages: pages of a PDF (MAX_PDF_PAGES).
 * A DOCX's XML parts may inflate to at most DOCX_XML_PER_TEXT × maxExtractedBytes.
 */
export interface ParseLimits {
  maxExtractedBytes: number;
  maxPdfPages: number;
}

export const MB = 1024 * 1024;
export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({ maxExtractedBytes: 20 * MB, maxPdfPages: 2000 });
/** WordprocessingML is markup-heavy: its XML may be this many times the text it holds. */
export const DOCX_XML_PER_TEXT = 5;

export function textTooLarge(name: string, limits: ParseLimits): AppException {
  const mb = +(limits.maxExtractedBytes / MB).toFixed(2);
  return new AppException('PAYLOAD_TOO_LARGE', `The text extracted from ${name} is larger than this server accepts (MAX_EXTRACTED_MB = ${mb}); it was not stored.`);
}

/** Throws 413 when a finished text is over the cap (formats whose text is built in one piece). */
export function checkTextSize(text: string, name: string, limits: ParseLimits): string {
  // UTF-8 is at most 3 bytes per UTF-16 unit: skip the count when it cannot matter.
  if (text.length * 3 > limits.maxExtractedBytes && Buffer.byteLength(text, 'utf8') > limits.maxExtractedBytes) throw textTooLarge(name, limits);
  return text;
}

/**
 * A bounded text builder for markup converters: inline text has its
 * whitespace collapsed (no spaces at line starts or ends), line breaks
 * accumulate up to one blank line, table cells become " | " between
 * values. Throws 413 as soon as the output passes maxExtractedBytes, so a
 * hostile input never builds more than the cap. Every step is linear.
 */
export class TextSink {
  private readonly parts: string[] = [];
  private bytes = 0;
  private newlines = 0;
  private space = false;
  private cells = 0;
  private started = false;

  constructor(
    private readonly name: string,
    private readonly limits: ParseLimits,
  ) {}

  /** Inline text: whitespace runs become one space. */
  text(s: string): void {
    const t = collapseWhitespace(s);
    if (t === '') return;
    if (t === ' ') {
      this.space = true;
      return;
    }
    const lead = t.charCodeAt(0) === 32;
    const trail = t.charCodeAt(t.length - 1) === 32;
    if (lead) this.space = true;
    this.put(t.slice(lead ? 1 : 0, trail ? t.length - 1 : t.length));
    this.space = trail;
  }

  /** Text kept as it is (<pre>, DOCX runs). */
  raw(s: string): void {
    if (s === '') return;
    this.put(s);
    this.space = false;
  }

  /** A separator that is at most one space (a dropped element, a comment). */
  gap(): void {
    this.space = true;
  }

  lineBreak(n: 1 | 2): void {
    if (this.started) this.newlines = Math.min(2, this.newlines + n);
    this.space = false;
    this.cells = 0;
  }

  cellEnd(): void {
    this.cells++;
  }

  toString(): string {
    return this.parts.join('');
  }

  private put(s: string): void {
    let prefix = '';
    if (this.started) {
      if (this.newlines) prefix = this.newlines === 2 ? '\n\n' : '\n';
      else if (this.cells) prefix = ' |'.repeat(this.cells) + ' ';
      else if (this.space) prefix = ' ';
    }
    this.newlines = 0;
    this.cells = 0;
    this.space = false;
    this.started = true;
    this.bytes += prefix.length + Buffer.byteLength(s, 'utf8');
    if (this.bytes > this.limits.maxExtractedBytes) throw textTooLarge(this.name, this.limits);
    this.parts.push(prefix + s);
  }
}

import { AppException } from '../../common/app-exception';
import { docxToText } from './docx-to-text';
import { htmlToText } from './html-to-text';
import { checkTextSize, DEFAULT_PARSE_LIMITS, ParseLimits, textTooLarge } from './limits';
import { csvToText, jsonToText } from './structured-to-text';

export type { ParseLimits } from './limits';

export type DocumentFormat = 'txt' | 'md' | 'html' | 'pdf' | 'docx' | 'csv' | 'json';

export interface ParsedDocument {
  text: string;
  format: DocumentFormat;
}

export const SUPPORTED_FORMATS: readonly DocumentFormat[] = ['txt', 'md', 'html', 'pdf', 'docx', 'csv', 'json'];

const BY_EXTENSION: Record<string, DocumentFormat> = {
  txt: 'txt',
  text: 'txt',
  log: 'txt',
  md: 'md',
  markdown: 'md',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  pdf: 'pdf',
  docx: 'docx',
  csv: 'csv',
  tsv: 'csv',
  json: 'json',
};

/** The file extensions read by their name alone (a file of another name may still be read by its content or MIME type). */
export const SUPPORTED_EXTENSIONS: readonly string[] = Object.keys(BY_EXTENSION).map((e) => `.${e}`);

const BY_MIME: Record<string, DocumentFormat> = {
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/x-markdown': 'md',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'text/csv': 'csv',
  'application/json': 'json',
};

function extensionOf(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

const isPdf = (d: Buffer) => d.length >= 5 && d.subarray(0, 5).toString('latin1') === '%PDF-';
const isZip = (d: Buffer) => d.length >= 4 && d[0] === 0x50 && d[1] === 0x4b && d[2] === 0x03 && d[3] === 0x04;

/**
 * Detects the format: magic bytes first (%PDF, a PK zip is docx), then the
 * file extension, then the MIME type. A .pdf/.docx whose bytes say otherwise
 * is treated as corrupt, not guessed at.
 */
export function detectFormat(data: Buffer, fileName: string, mimeType?: string): DocumentFormat {
  const ext = extensionOf(fileName);
  if (isPdf(data)) return 'pdf';
  if (isZip(data) && (ext === 'docx' || (ext === '' && BY_MIME[(mimeType ?? '').toLowerCase()] === 'docx'))) return 'docx';
  const byExt = BY_EXTENSION[ext];
  if (byExt) return byExt;
  const mime = (mimeType ?? '').split(';')[0].trim().toLowerCase();
  if (BY_MIME[mime]) return BY_MIME[mime];
  const shown = ext ? `.${ext}` : mime ? `"${mime}"` : 'unknown type';
  throw new AppException('UNSUPPORTED_MEDIA_TYPE', `Files of type ${shown} cannot be parsed; supported: ${SUPPORTED_FORMATS.join(', ')}.`);
}

/** UTF-8 text: strips a BOM, decodes UTF-16 with a BOM, rejects binary (NUL bytes) and invalid UTF-8. */
export function decodeText(data: Buffer, fileName: string): string {
  if (data.length >= 2 && data[0] === 0xff && data[1] === 0xfe) return new TextDecoder('utf-16le').decode(data.subarray(2));
  if (data.length >= 2 && data[0] === 0xfe && data[1] === 0xff) return new TextDecoder('utf-16be').decode(data.subarray(2));
  const body = data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? data.subarray(3) : data;
  if (body.includes(0)) throw AppException.validation(`${fileName} looks like a binary file, not text.`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw AppException.validation(`${fileName} is not valid UTF-8 text.`);
  }
}

/**
 * Turns an uploaded file into plain text for chunking. Throws
 * UNSUPPORTED_MEDIA_TYPE (415) for other types, VALIDATION_ERROR (400) for
 * corrupt or unreadable files and PAYLOAD_TOO_LARGE (413) when the text would
 * pass limits.maxExtractedBytes or a PDF has more than limits.maxPdfPages —
 * never a 500. A pure function of its arguments (it runs in a worker thread);
 * every parser is linear in its input.
 */
export async function parseDocument(data: Buffer, fileName: string, mimeType?: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Promise<ParsedDocument> {
  const format = detectFormat(data, fileName, mimeType);
  const name = (fileName.split(/[\\/]/).pop() || 'The file').slice(0, 200);
  const text = async (): Promise<string> => {
    switch (format) {
      case 'txt':
      case 'md':
        return normaliseNewlines(decodeText(data, name));
      case 'html':
        return htmlToText(decodeText(data, name), name, limits);
      case 'csv':
        return csvToText(normaliseNewlines(decodeText(data, name)), name, limits);
      case 'json':
        return jsonToText(decodeText(data, name), name, limits);
      case 'pdf':
        return pdfToText(data, name, limits);
      case 'docx':
        if (!isZip(data)) throw AppException.validation(`${name} is not a valid DOCX file.`);
        return collapseBlankLines(docxToText(data, name, limits));
    }
  };
  return { format, text: checkTextSize(await text(), name, limits) };
}

function normaliseNewlines(s: string): string {
  return s.replace(/\r\n?/g, '\n');
}

function collapseBlankLines(s: string): string {
  return s.replace(/\n{3,}/g, '\n\n');
}

/**
 * PDF text page by page (pdf.js through unpdf): more than maxPdfPages pages
 * → 413 before any page is read; extraction stops with 413 as soon as the
 * text passes maxExtractedBytes.
 */
async function pdfToText(data: Buffer, name: string, limits: ParseLimits): Promise<string> {
  if (!isPdf(data)) throw AppException.validation(`${name} is not a valid PDF file.`);
  try {
    const { getDocumentProxy } = await import('unpdf');
    const pdf = await getDocumentProxy(new Uint8Array(data), { verbosity: 0, isEvalSupported: false, disableFontFace: true, stopAtErrors: false });
    try {
      if (pdf.numPages > limits.maxPdfPages) {
        throw new AppException('PAYLOAD_TOO_LARGE', `${name} has ${pdf.numPages} pages; this server reads at most ${limits.maxPdfPages} (MAX_PDF_PAGES). It was not stored.`);
      }
      const pages: string[] = [];
      let bytes = 0;
      for (let n = 1; n <= pdf.numPages; n++) {
        const page = await pdf.getPage(n);
        const content = await page.getTextContent();
        page.cleanup();
        let text = '';
        for (const item of content.items as Array<{ str?: string; hasEOL?: boolean }>) {
          if (item.str == null) continue;
          text += item.str + (item.hasEOL ? '\n' : '');
        }
        text = text.trim();
        if (!text) continue;
        bytes += Buffer.byteLength(text, 'utf8') + 2;
        if (bytes > limits.maxExtractedBytes) throw textTooLarge(name, limits);
        pages.push(text);
      }
      return pages.join('\n\n');
    } finally {
      await pdf.destroy().catch(() => undefined);
    }
  } catch (err) {
    if (err instanceof AppException) throw err;
    const msg = (err as Error)?.name === 'PasswordException' ? 'is password-protected' : 'is a corrupt or unreadable PDF file';
    throw AppException.validation(`${name} ${msg}.`);
  }
}

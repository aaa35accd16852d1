import { AppException } from '../../common/app-exception';
import { htmlToText } from './html-to-text';
import { csvToText, jsonToText } from './structured-to-text';

export type DocumentFormat = 'txt' | 'md' | 'html' | 'pdf' | 'docx' | 'csv' | 'json';

export interface ParsedDocument {
  text: string;
  format: DocumentFormat;
}

export const SUPPORTED_FORMATS: readonly DocumentFormat[] = ['txt', 'md', 'html', 'pdf', 'docx', 'csv', 'json'];

const BY_EXTENSION: Record<string, DocumentFormat> = {
  txt: 'txt', text: 'txt', log: 'txt',
  md: 'md', markdown: 'md',
  html: 'html', htm: 'html', xhtml: 'html',
  pdf: 'pdf',
  docx: 'docx',
  csv: 'csv', tsv: 'csv',
  json: 'json',
};

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
 * UNSUPPORTED_MEDIA_TYPE (415) for other types and VALIDATION_ERROR (400)
 * for corrupt or unreadable files — never a 500.
 */
export async function parseDocument(data: Buffer, fileName: string, mimeType?: string): Promise<ParsedDocument> {
  const format = detectFormat(data, fileName, mimeType);
  const name = (fileName.split(/[\\/]/).pop() || 'The file').slice(0, 200);
  switch (format) {
    case 'txt':
    case 'md':
      return { format, text: normaliseNewlines(decodeText(data, name)) };
    case 'html':
      return { format, text: htmlToText(decodeText(data, name)) };
    case 'csv':
      return { format, text: csvToText(normaliseNewlines(decodeText(data, name))) };
    case 'json':
      return { format, text: jsonToText(decodeText(data, name), name) };
    case 'pdf':
      return { format, text: await pdfToText(data, name) };
    case 'docx':
      return { format, text: await docxToText(data, name) };
  }
}

function normaliseNewlines(s: string): string {
  return s.replace(/\r\n?/g, '\n');
}

async function pdfToText(data: Buffer, name: string): Promise<string> {
  if (!isPdf(data)) throw AppException.validation(`${name} is not a valid PDF file.`);
  try {
    const { extractText, getDocumentProxy } = await import('unpdf');
    const pdf = await getDocumentProxy(new Uint8Array(data), { verbosity: 0 });
    try {
      const { text } = await extractText(pdf, { mergePages: false });
      return (text as string[]).map((p) => p.trim()).filter(Boolean).join('\n\n');
    } finally {
      await pdf.destroy().catch(() => undefined);
    }
  } catch (err) {
    if (err instanceof AppException) throw err;
    const msg = (err as Error)?.name === 'PasswordException' ? 'is password-protected' : 'is a corrupt or unreadable PDF file';
    throw AppException.validation(`${name} ${msg}.`);
  }
}

async function docxToText(data: Buffer, name: string): Promise<string> {
  if (!isZip(data)) throw AppException.validation(`${name} is not a valid DOCX file.`);
  try {
    const mammoth = await import('mammoth');
    const { value } = await (mammoth.default ?? mammoth).extractRawText({ buffer: data });
    return normaliseNewlines(value).replace(/\n{3,}/g, '\n\n').trim();
  } catch {
    throw AppException.validation(`${name} is a corrupt or unreadable DOCX file.`);
  }
}

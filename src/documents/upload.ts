import type { FastifyRequest } from 'fastify';
import { AppException } from '../common/app-exception';
import type { Settings } from '../config/app-config';
import type { DocumentParser } from './parsers/document-parser';

export interface ParsedUpload {
  fileName: string;
  text: string;
  format: string;
}

type MultipartRequest = FastifyRequest & {
  isMultipart(): boolean;
  file(): Promise<{ fieldname: string; filename: string; mimetype: string; file: { truncated: boolean }; toBuffer(): Promise<Buffer> } | undefined>;
};

/**
 * What went wrong while reading the multipart body, as the client's error: a
 * file over the limit → 413; a body busboy cannot read (no or wrong boundary,
 * cut off before its closing boundary, a malformed part header) → 400. Our
 * own exceptions and Fastify's coded errors pass through to the error mapping.
 */
function multipartError(err: unknown): unknown {
  const code = (err as { code?: string })?.code;
  if (err instanceof AppException) return err;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new AppException('PAYLOAD_TOO_LARGE', 'The uploaded file is larger than this server accepts (MAX_UPLOAD_MB).');
  if (typeof code === 'string' && code.startsWith('FST_')) return err;
  const detail = err instanceof Error && /^(Multipart: |Unexpected end of |Malformed )/.test(err.message) ? ` (${err.message})` : '';
  return AppException.validation(`The multipart/form-data body could not be read${detail}; send one file in the field "file" with the boundary named in Content-Type.`, [
    { field: 'file', message: 'malformed multipart body' },
  ]);
}

/**
 * Reads the multipart field `file` (@fastify/multipart, limit MAX_UPLOAD_MB)
 * and parses it to text. Over the limit → 413; no file → 400; a type the
 * parsers do not know → 415 (thrown by parseDocument). Parsing runs in a
 * worker thread (DocumentParser) within PARSE_TIMEOUT_S, never on this one,
 * its text capped at MAX_EXTRACTED_MB and a PDF at MAX_PDF_PAGES (413 past them).
 */
export async function readUpload(request: FastifyRequest, parser: DocumentParser, settings: Settings): Promise<ParsedUpload> {
  const req = request as MultipartRequest;
  if (typeof req.isMultipart !== 'function' || !req.isMultipart()) {
    throw AppException.validation('Send the file as multipart/form-data in the field "file".', [{ field: 'file', message: 'multipart/form-data expected' }]);
  }
  let file: Awaited<ReturnType<MultipartRequest['file']>>;
  let buffer: Buffer;
  try {
    file = await req.file();
    if (!file || file.fieldname !== 'file') throw AppException.validation('The multipart body has no file; send it in the field "file".', [{ field: 'file', message: 'required' }]);
    buffer = await file.toBuffer();
  } catch (err) {
    throw multipartError(err);
  }
  if (file.file.truncated) throw new AppException('PAYLOAD_TOO_LARGE', 'The uploaded file is larger than this server accepts (MAX_UPLOAD_MB).');
  const fileName = (file.filename || 'upload').replace(/\u0000/g, '').slice(0, 1000) || 'upload';
  const parsed = await parser.parse(buffer, fileName, file.mimetype, { maxExtractedBytes: settings.maxExtractedBytes, maxPdfPages: settings.maxPdfPages });
  if (!parsed.text || !parsed.text.replace(/\u0000/g, '').trim())
    throw AppException.validation('The file contains no text.', [{ field: 'file', message: 'no text could be extracted' }]);
  // PostgreSQL text cannot hold U+0000 (a PDF or DOCX may yield it): drop it rather than fail.
  return { fileName, text: parsed.text.replace(/\u0000/g, ''), format: parsed.format };
}

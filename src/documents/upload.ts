import type { FastifyRequest } from 'fastify';
import { AppException } from '../common/app-exception';
import type { ComputePool } from '../compute/compute-pool';
import type { Settings } from '../config/app-config';

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
 * Reads the multipart field `file` (@fastify/multipart, limit MAX_UPLOAD_MB)
 * and parses it to text. Over the limit → 413; no file → 400; a type the
 * parsers do not know → 415 (thrown by parseDocument). Parsing runs in a
 * worker thread (ComputePool) within PARSE_TIMEOUT_S, never on this one,
 * its text capped at MAX_EXTRACTED_MB and a PDF at MAX_PDF_PAGES (413 past them).
 */
export async function readUpload(request: FastifyRequest, compute: ComputePool, settings: Settings): Promise<ParsedUpload> {
  const req = request as MultipartRequest;
  if (typeof req.isMultipart !== 'function' || !req.isMultipart()) {
    throw AppException.validation('Send the file as multipart/form-data in the field "file".', [{ field: 'file', message: 'multipart/form-data expected' }]);
  }
  const file = await req.file();
  if (!file || file.fieldname !== 'file') throw AppException.validation('The multipart body has no file; send it in the field "file".', [{ field: 'file', message: 'required' }]);
  let buffer: Buffer;
  try {
    buffer = await file.toBuffer();
  } catch (err) {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new AppException('PAYLOAD_TOO_LARGE', 'The uploaded file is larger than this server accepts (MAX_UPLOAD_MB).');
    throw err;
  }
  if (file.file.truncated) throw new AppException('PAYLOAD_TOO_LARGE', 'The uploaded file is larger than this server accepts (MAX_UPLOAD_MB).');
  const fileName = (file.filename || 'upload').replace(/\u0000/g, '').slice(0, 1000) || 'upload';
  const parsed = await compute.parse(buffer, fileName, file.mimetype, { maxExtractedBytes: settings.maxExtractedBytes, maxPdfPages: settings.maxPdfPages });
  if (!parsed.text || !parsed.text.replace(/\u0000/g, '').trim()) throw AppException.validation('The file contains no text.', [{ field: 'file', message: 'no text could be extracted' }]);
  // PostgreSQL text cannot hold U+0000 (a PDF or DOCX may yield it): drop it rather than fail.
  return { fileName, text: parsed.text.replace(/\u0000/g, ''), format: parsed.format };
}

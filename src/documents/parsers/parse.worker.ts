import { computeTask } from '../../compute/compute-task';
import { parseDocument, ParsedDocument, ParseLimits } from './parse-document';

export interface ParseTask {
  data: Uint8Array;
  fileName: string;
  mimeType?: string;
  limits: ParseLimits;
}

/** Piscina's entry for parsing an upload in a worker thread (DocumentParser loads the compiled file). */
export default computeTask((task: ParseTask): Promise<ParsedDocument> =>
  parseDocument(Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength), task.fileName, task.mimeType, task.limits),
);

import { AppException, ErrorCode, FieldError } from '../common/app-exception';
import { parseDocument, ParsedDocument, ParseLimits } from '../documents/parsers/parse-document';
import { countTokens, encodeText } from '../rag/chunking/tokens';
import { LocalEmbeddingProvider } from '../rag/providers/local-embedding.provider';
import { extractEntitiesAndRelationsAsync } from '../rag/providers/local-extraction.provider';
import type { ExtractedEntity, ExtractedRelation } from '../rag/providers/provider.types';

/**
 * The CPU-heavy steps of a document, as tasks a worker thread runs (see
 * ComputePool): parsing an upload, cl100k encoding for the chunker, the local
 * lexical embedding and the local rule-based extraction. Pure functions of
 * their input, no Nest, no database: a thread can be terminated mid-task and
 * nothing is left half-done.
 */
export type ComputeTask =
  | { op: 'parse'; data: Uint8Array; fileName: string; mimeType?: string; limits: ParseLimits }
  | { op: 'encode'; text: string }
  | { op: 'embed'; texts: string[]; dim: number; model: string }
  | { op: 'extract'; text: string };

export interface ExtractionResult {
  entities: ExtractedEntity[];
  relations: ExtractedRelation[];
}

export type ComputeResult =
  | { op: 'parse'; parsed: ParsedDocument }
  | { op: 'encode'; tokens: Uint32Array }
  | { op: 'embed'; vectors: number[][]; inputTokens: number }
  | { op: 'extract'; result: ExtractionResult; inputTokens: number };

/** An AppException thrown in a thread, carried back as data (a class does not survive the thread boundary). */
export interface ComputeFailure {
  op: 'failure';
  code: ErrorCode;
  message: string;
  details?: FieldError[];
}

const embedders = new Map<string, LocalEmbeddingProvider>();

export async function runComputeTask(task: ComputeTask): Promise<ComputeResult | ComputeFailure> {
  try {
    switch (task.op) {
      case 'parse': {
        const data = Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength);
        return { op: 'parse', parsed: await parseDocument(data, task.fileName, task.mimeType, task.limits) };
      }
      case 'encode':
        return { op: 'encode', tokens: Uint32Array.from(encodeText(task.text)) };
      case 'embed': {
        const key = `${task.dim}:${task.model}`;
        let embedder = embedders.get(key);
        if (!embedder) embedders.set(key, (embedder = new LocalEmbeddingProvider(task.dim, task.model)));
        let inputTokens = 0;
        const vectors = task.texts.map((t) => {
          inputTokens += countTokens(t);
          return embedder.embedOne(t);
        });
        return { op: 'embed', vectors, inputTokens };
      }
      case 'extract':
        return { op: 'extract', result: await extractEntitiesAndRelationsAsync(task.text), inputTokens: countTokens(task.text) };
    }
  } catch (err) {
    if (err instanceof AppException) return { op: 'failure', code: err.code, message: err.message, details: err.details };
    throw err;
  }
}

import { createCache } from '../../common/cache';
import { computeTask } from '../../compute/compute-task';
import { countTokens, encodeText } from '../chunking/tokens';
import { LocalEmbeddingProvider } from '../providers/local-embedding.provider';
import { extractEntitiesAndRelationsAsync } from '../providers/local-extraction.provider';
import { extractQueryKeywords } from '../providers/local-keyword-extractor';
import type { ExtractedEntity, ExtractedRelation, QueryKeywords } from '../providers/provider.types';

/**
 * The engine's CPU-heavy steps as tasks a worker thread runs (RagCompute
 * loads the compiled file): cl100k encoding for the chunker, the local
 * lexical embedding, the local rule-based extraction and the local query
 * keyword extraction (for long queries).
 */
export type RagComputeTask =
  { op: 'encode'; text: string } | { op: 'embed'; texts: string[]; dim: number; model: string } | { op: 'extract'; text: string } | { op: 'keywords'; text: string };

export interface ExtractionResult {
  entities: ExtractedEntity[];
  relations: ExtractedRelation[];
}

export type RagComputeResult =
  | { op: 'encode'; tokens: Uint32Array }
  | { op: 'embed'; vectors: number[][]; inputTokens: number }
  | { op: 'extract'; result: ExtractionResult; inputTokens: number }
  | { op: 'keywords'; result: QueryKeywords; inputTokens: number; outputTokens: number };

/** One embedder per (dimension, model) in each thread; a server uses one, tests a few. */
const embedders = createCache<string, LocalEmbeddingProvider>({ max: 8 });

async function run(task: RagComputeTask): Promise<RagComputeResult> {
  switch (task.op) {
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
    case 'keywords': {
      const result = extractQueryKeywords(task.text);
      const outputTokens = [...result.highLevel, ...result.lowLevel].reduce((n, k) => n + countTokens(k), 0);
      return { op: 'keywords', result, inputTokens: countTokens(task.text), outputTokens };
    }
  }
}

export default computeTask(run);

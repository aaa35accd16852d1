/**
 * A fact's support rows (which chunk of the document says it) as the
 * ingestion holds them until the commit: the first few with their text, the
 * rest as packed links (ExtractionMerger, KEEP_DESCRIPTIONS). The graph store
 * walks them with the generators below, one insert batch at a time.
 */
export interface EntitySupport {
  chunkIndex: number;
  description: string;
}

export interface RelationSupport {
  chunkIndex: number;
  keywords: string;
  description: string;
  weight: number;
}

/** Support beyond the described rows: chunk indexes, and for relations their weights (same positions). */
export interface SupportLinks {
  chunks: number[];
  weights?: number[];
}

/** Every support row of a fact, described ones first (link-only rows have empty texts). */
export function* entitySupportRows(fact: { support: EntitySupport[]; more: SupportLinks }): Generator<EntitySupport> {
  yield* fact.support;
  for (const chunkIndex of fact.more.chunks) yield { chunkIndex, description: '' };
}

export function* relationSupportRows(fact: { support: RelationSupport[]; more: Required<SupportLinks> }): Generator<RelationSupport> {
  yield* fact.support;
  const { chunks, weights } = fact.more;
  for (let i = 0; i < chunks.length; i++) yield { chunkIndex: chunks[i], keywords: '', description: '', weight: weights[i] };
}

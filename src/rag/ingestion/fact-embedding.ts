import type { CallContext, ProviderSet } from '../providers/provider.types';
import { EntityFact, RelationFact } from '../storage/graph-store.repository';
import type { ExtractionMerger } from './extraction-merge';

const BATCH = 128;

/**
 * Embeds one document's merged facts as LightRAG does: an entity as
 * "name\ndescription", a relation as "keywords\tsource\ntarget\ndescription".
 * Shared by the ingestion worker and the LightRAG workspace import. Vectors
 * are kept as Float32 (4 bytes a dimension, not the ~10 characters of
 * pgvector text) and turned into text one insert batch at a time.
 */
export async function embedFacts(
  providers: Pick<ProviderSet, 'embedding'>,
  merger: ExtractionMerger,
  ctx: CallContext,
): Promise<{ entities: EntityFact[]; relations: RelationFact[] }> {
  const ents = [...merger.entities.values()];
  const entities: EntityFact[] = [];
  for (let i = 0; i < ents.length; i += BATCH) {
    const batch = ents.slice(i, i + BATCH);
    const vectors = await providers.embedding.embed(
      batch.map((e) => `${e.name}\n${e.support[0]?.description ?? ''}`),
      ctx,
    );
    batch.forEach((e, j) => entities.push({ key: e.key, name: e.name, type: e.type, embedding: Float32Array.from(vectors[j]), support: e.support, more: e.more }));
  }
  const rels = [...merger.relations.values()];
  const relations: RelationFact[] = [];
  for (let i = 0; i < rels.length; i += BATCH) {
    const batch = rels.slice(i, i + BATCH);
    const vectors = await providers.embedding.embed(
      batch.map((r) => `${r.support[0]?.keywords ?? ''}\t${r.sourceName}\n${r.targetName}\n${r.support[0]?.description ?? ''}`),
      ctx,
    );
    batch.forEach((r, j) => relations.push({ sourceKey: r.sourceKey, targetKey: r.targetKey, embedding: Float32Array.from(vectors[j]), support: r.support, more: r.more }));
  }
  return { entities, relations };
}

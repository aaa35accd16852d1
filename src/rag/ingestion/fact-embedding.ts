import type { CallContext, ProviderSet } from '../providers/provider.types';
import { EntityFact, RelationFact } from '../storage/graph-store.repository';
import type { ExtractionMerger } from './extraction-merge';
import { mapInOrder } from './pipeline';

const BATCH = 128;

/**
 * Embeds one document's merged facts as LightRAG does: an entity as
 * "name\ndescription", a relation as "keywords\tsource\ntarget\ndescription".
 * Shared by the ingestion worker and the LightRAG workspace import. Vectors
 * are kept as Float32 (4 bytes a dimension, not the ~10 characters of
 * pgvector text) and turned into text one insert batch at a time. Up to
 * `lanes` batches are embedded at once (the local embedding's compute
 * threads); the facts keep their order.
 */
export async function embedFacts(
  providers: Pick<ProviderSet, 'embedding'>,
  merger: ExtractionMerger,
  ctx: CallContext,
  lanes = 1,
): Promise<{ entities: EntityFact[]; relations: RelationFact[] }> {
  const batches = <T>(items: T[]) => Array.from({ length: Math.ceil(items.length / BATCH) }, (_, i) => items.slice(i * BATCH, (i + 1) * BATCH));
  // Each batch's vectors become Float32 as soon as they arrive: the batches wait for each other as 4-byte floats,
  // not as arrays of JS numbers.
  const embedAll = async (texts: string[]): Promise<Float32Array[]> =>
    (await mapInOrder(batches(texts), lanes, async (batch) => (await providers.embedding.embed(batch, ctx)).map((v) => Float32Array.from(v)))).flat();
  const ents = [...merger.entities.values()];
  const entityVectors = await embedAll(ents.map((e) => `${e.name}\n${e.support[0]?.description ?? ''}`));
  const entities: EntityFact[] = ents.map((e, i) => ({ key: e.key, name: e.name, type: e.type, embedding: entityVectors[i], support: e.support, more: e.more }));
  const rels = [...merger.relations.values()];
  const relationVectors = await embedAll(rels.map((r) => `${r.support[0]?.keywords ?? ''}\t${r.sourceName}\n${r.targetName}\n${r.support[0]?.description ?? ''}`));
  const relations: RelationFact[] = rels.map((r, i) => ({ sourceKey: r.sourceKey, targetKey: r.targetKey, embedding: relationVectors[i], support: r.support, more: r.more }));
  return { entities, relations };
}

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
  const ents = [...merger.entities.values()];
  const entities: EntityFact[] = [];
  const entityVectors = await mapInOrder(batches(ents), lanes, (batch) =>
    providers.embedding.embed(
      batch.map((e) => `${e.name}\n${e.support[0]?.description ?? ''}`),
      ctx,
    ),
  );
  ents.forEach((e, i) =>
    entities.push({ key: e.key, name: e.name, type: e.type, embedding: Float32Array.from(entityVectors[Math.floor(i / BATCH)][i % BATCH]), support: e.support, more: e.more }),
  );
  entityVectors.length = 0;
  const rels = [...merger.relations.values()];
  const relations: RelationFact[] = [];
  const relationVectors = await mapInOrder(batches(rels), lanes, (batch) =>
    providers.embedding.embed(
      batch.map((r) => `${r.support[0]?.keywords ?? ''}\t${r.sourceName}\n${r.targetName}\n${r.support[0]?.description ?? ''}`),
      ctx,
    ),
  );
  rels.forEach((r, i) =>
    relations.push({
      sourceKey: r.sourceKey,
      targetKey: r.targetKey,
      embedding: Float32Array.from(relationVectors[Math.floor(i / BATCH)][i % BATCH]),
      support: r.support,
      more: r.more,
    }),
  );
  return { entities, relations };
}

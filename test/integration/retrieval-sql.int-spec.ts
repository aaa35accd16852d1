import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/database/database.service';
import { RetrievalRepository } from '../../src/rag/retrieval/retrieval.repository';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * The retrieval SQL on hand-made rows, where the expected order is known:
 * graph-reached chunks ranked by the summed score of the facts they support
 * (ties by chunk id, also at the LIMIT), exact vector search ordered by
 * distance (ties by id), and nothing of another KB ever comes back even when
 * its fact ids are passed in.
 */
describe('retrieval SQL', () => {
  let t: TestApp;
  let tenantId: string;
  let kbId: string;
  let otherKbId: string;
  let dim: number;
  let repo: RetrievalRepository;
  const q = (sql: string, params: unknown[] = []) => t.db.dataSource.query(sql, params);
  /** A unit vector pointing mostly along axis `i` (cosine distance grows with `tilt`). */
  const vec = (i: number, tilt = 0) => `[${Array.from({ length: dim }, (_, k) => (k === i ? 1 : k === (i + 1) % dim ? tilt : 0)).join(',')}]`;
  const asTenant = <T>(work: (db: Db) => Promise<T>) => t.db.withTenant(tenantId, work);

  let doc: string;
  const chunk: Record<string, string> = {};
  const entity: Record<string, string> = {};
  const relation: Record<string, string> = {};

  async function addChunk(kb: string, document: string, name: string, index: number) {
    const [row] = await q(`INSERT INTO chunks (tenant_id, kb_id, document_id, chunk_index, content, tokens, embedding) VALUES ($1, $2, $3, $4, $5, 1, $6::vector) RETURNING id`, [
      tenantId,
      kb,
      document,
      index,
      `chunk ${name}`,
      vec(0),
    ]);
    return row.id as string;
  }
  async function addEntity(kb: string, name: string, embedding: string) {
    const [row] = await q(`INSERT INTO entities (tenant_id, kb_id, name, name_key, type, description, embedding) VALUES ($1, $2, $3, $4, 'thing', '', $5::vector) RETURNING id`, [
      tenantId,
      kb,
      name,
      name.toLowerCase(),
      embedding,
    ]);
    return row.id as string;
  }
  async function support(kb: string, document: string, entityId: string, chunkId: string) {
    await q(`INSERT INTO entity_chunks (tenant_id, kb_id, entity_id, chunk_id, document_id, description) VALUES ($1, $2, $3, $4, $5, 'seen')`, [
      tenantId,
      kb,
      entityId,
      chunkId,
      document,
    ]);
  }
  async function addDocument(kb: string, name: string) {
    const [row] = await q(
      `INSERT INTO documents (tenant_id, kb_id, file_path, content_hash, content, size_bytes, status, track_id) VALUES ($1, $2, $3, $4, '', 0, 'processed', 't') RETURNING id`,
      [tenantId, kb, name, randomUUID()],
    );
    return row.id as string;
  }

  beforeAll(async () => {
    t = await startTestApp();
    repo = new RetrievalRepository(t.db);
    const seeded = await seedTenant(t, `Sql ${randomUUID().slice(0, 6)}`, ['kb', 'other']);
    tenantId = seeded.tenantId;
    [kbId, otherKbId] = seeded.kbIds;
    const [col] = await q(`SELECT atttypmod AS dim FROM pg_attribute WHERE attrelid = 'chunks'::regclass AND attname = 'embedding'`);
    dim = Number(col.dim);

    doc = await addDocument(kbId, 'facts.txt');
    for (const [i, name] of ['many', 'one', 'tieA', 'tieB', 'none'].entries()) chunk[name] = await addChunk(kbId, doc, name, i);
    // Same direction as the query for `near1`/`near2` (a tie), then farther and farther.
    entity.near1 = await addEntity(kbId, 'Near One', vec(1));
    entity.near2 = await addEntity(kbId, 'Near Two', vec(1));
    entity.mid = await addEntity(kbId, 'Mid', vec(1, 0.5));
    entity.far = await addEntity(kbId, 'Far', vec(1, 2));
    // `many` is supported by three entities, `one` by one, tieA and tieB by the same one.
    for (const e of ['near1', 'near2', 'mid']) await support(kbId, doc, entity[e], chunk.many);
    await support(kbId, doc, entity.far, chunk.one);
    await support(kbId, doc, entity.mid, chunk.tieA);
    await support(kbId, doc, entity.mid, chunk.tieB);
    for (const [name, s, tg] of [
      ['n1-n2', 'near1', 'near2'],
      ['mid-far', 'mid', 'far'],
      ['far-n1', 'far', 'near1'],
    ] as const) {
      const [row] = await q(
        `INSERT INTO relations (tenant_id, kb_id, source_id, target_id, keywords, description, weight, embedding) VALUES ($1, $2, $3, $4, '', '', 0, $5::vector) RETURNING id`,
        [tenantId, kbId, entity[s], entity[tg], vec(2)],
      );
      relation[name] = row.id;
      await q(`INSERT INTO relation_chunks (tenant_id, kb_id, relation_id, chunk_id, document_id, keywords, description, weight) VALUES ($1, $2, $3, $4, $5, 'k', 'd', $6)`, [
        tenantId,
        kbId,
        row.id,
        chunk.many,
        doc,
        name === 'mid-far' ? 2 : 1,
      ]);
    }

    // Another KB of the same tenant: its entity supports its own chunk.
    const otherDoc = await addDocument(otherKbId, 'other.txt');
    chunk.other = await addChunk(otherKbId, otherDoc, 'other', 0);
    entity.other = await addEntity(otherKbId, 'Near One', vec(1));
    await support(otherKbId, otherDoc, entity.other, chunk.other);
  });
  afterAll(() => t?.close());

  it('chunks of entities: ranked by the summed score of the entities they support, ties by chunk id, also at the limit', async () => {
    const ids = [entity.near1, entity.near2, entity.mid, entity.far];
    const scores = [0.5, 0.4, 0.3, 0.6];
    const [lowTie, highTie] = [chunk.tieA, chunk.tieB].sort();
    const all = await asTenant((db) => repo.chunksOfEntities(db, tenantId, kbId, ids, scores, 10));
    expect(all.map((c) => c.chunk_id)).toEqual([chunk.many, chunk.one, lowTie, highTie]);
    expect(all.map((c) => Number(c.score))).toEqual([expect.closeTo(1.2, 12), 0.6, 0.3, 0.3]);
    expect(all[0]).toMatchObject({ document_id: doc, file_path: 'facts.txt', content: 'chunk many' });
    const cut = await asTenant((db) => repo.chunksOfEntities(db, tenantId, kbId, ids, scores, 3));
    expect(cut.map((c) => c.chunk_id)).toEqual([chunk.many, chunk.one, lowTie]);
  });

  it("chunks of entities never come from another KB, even for that KB's entity ids", async () => {
    const r = await asTenant((db) => repo.chunksOfEntities(db, tenantId, kbId, [entity.other, entity.far], [0.9, 0.1], 10));
    expect(r.map((c) => c.chunk_id)).toEqual([chunk.one]);
  });

  it('chunks of relations: the summed score of the relations they support', async () => {
    const r = await asTenant((db) => repo.chunksOfRelations(db, tenantId, kbId, [relation['n1-n2'], relation['mid-far']], [0.25, 0.5], 10));
    expect(r.map((c) => [c.chunk_id, Number(c.score)])).toEqual([[chunk.many, 0.75]]);
  });

  it('exact entity search: nearest first, equal distances by id, the full top_k', async () => {
    const [tie1, tie2] = [entity.near1, entity.near2].sort();
    const r = await asTenant((db) => repo.searchEntities(db, tenantId, kbId, vec(1), 3, true));
    expect(r.map((e) => e.id)).toEqual([tie1, tie2, entity.mid]);
    expect(Number(r[0].score)).toBeCloseTo(1, 6);
    expect(Number(r[2].score)).toBeLessThan(Number(r[1].score));
    expect(r[0].description).toBe('seen');
    // A tie at the cut goes by id too.
    const first = await asTenant((db) => repo.searchEntities(db, tenantId, kbId, vec(1), 1, true));
    expect(first.map((e) => e.id)).toEqual([tie1]);
  });

  it("the KB's sizes, per vector-searched table, choose exact or index search for each", async () => {
    expect(await asTenant((db) => repo.kbSizes(db, tenantId, kbId))).toEqual({ chunks: 5, entities: 4, relations: 3 });
    expect(await asTenant((db) => repo.kbSizes(db, tenantId, otherKbId))).toEqual({ chunks: 1, entities: 1, relations: 0 });
  });

  it('relations of entities: best entity score first, then weight; both endpoints count', async () => {
    const r = await asTenant((db) => repo.relationsOfEntities(db, tenantId, kbId, [entity.far, entity.near2], [0.9, 0.2], 10));
    // far touches mid-far (weight 2) and far-n1 (weight 1) at 0.9; near2 touches n1-n2 at 0.2.
    expect(r.map((x) => x.id)).toEqual([relation['mid-far'], relation['far-n1'], relation['n1-n2']]);
    expect(r.map((x) => Number(x.weight))).toEqual([2, 1, 1]);
    expect(r[0]).toMatchObject({ source: 'Mid', target: 'Far', keywords: 'k', description: 'd' });
  });
  it('one trip (searchGraphInOneTrip): each branch returns exactly what its per-step statements return, from its own KB only', async () => {
    const local = { vector: vec(1, 0.3), topK: 10, chunkTopK: 10, exact: true };
    const global = { vector: vec(2, 0.1), topK: 10, chunkTopK: 10, exact: true };
    const one = await repo.searchGraphInOneTrip(tenantId, kbId, { local, global, efSearch: null });
    const steps = await asTenant(async (db) => {
      const entities = await repo.searchEntities(db, tenantId, kbId, local.vector, local.topK, true);
      const [eIds, eScores] = [entities.map((e) => e.id), entities.map((e) => Number(e.score))];
      const relations = await repo.searchRelations(db, tenantId, kbId, global.vector, global.topK, true);
      const [rIds, rScores] = [relations.map((r) => r.id), relations.map((r) => Number(r.score))];
      return {
        local: {
          found: entities,
          related: await repo.relationsOfEntities(db, tenantId, kbId, eIds, eScores, local.topK),
          chunks: await repo.chunksOfEntities(db, tenantId, kbId, eIds, eScores, local.chunkTopK),
        },
        global: {
          found: relations,
          related: await repo.entitiesOfRelations(db, tenantId, kbId, rIds, rScores, global.topK),
          chunks: await repo.chunksOfRelations(db, tenantId, kbId, rIds, rScores, global.chunkTopK),
        },
      };
    });
    for (const branch of ['local', 'global'] as const) {
      for (const list of ['found', 'related', 'chunks'] as const) {
        expect(steps[branch][list].length).toBeGreaterThan(0);
        expect(one[branch]![list]).toEqual(steps[branch][list]);
      }
    }
    // The other KB's search sees its own entity and chunk only.
    const other = await repo.searchGraphInOneTrip(tenantId, otherKbId, { local, global, efSearch: null });
    expect(other.local!.found.map((e) => e.id)).toEqual([entity.other]);
    expect(other.local!.chunks.map((c) => c.chunk_id)).toEqual([chunk.other]);
    expect(other.global).toEqual({ found: [], related: [], chunks: [] });
  });
});

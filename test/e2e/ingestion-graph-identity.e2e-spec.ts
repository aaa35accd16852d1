import { createHash } from 'node:crypto';
import { kbPath, waitForProcessed } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * What ingestion stores for a fixed text must not change with how the work is
 * scheduled (extraction spread over the compute threads, staging writes
 * overlapped with extraction, fact embeddings in parallel batches). The
 * snapshot was recorded with the sequential pipeline (one chunk extracted at
 * a time, before issue 14 aim 3): every chunk (content, tokens, vector), entity
 * (name, type, description, vector), relation (endpoints, keywords,
 * description, weight, vector) and support row of two documents in one KB —
 * enough chunks for several embedding batches, the second document merging
 * into the first one's facts — hashed per table. The same snapshot holds on
 * both databases. Vectors are compared as stored (`embedding::text`): a change
 * of the vector column's type or dimension must re-record it.
 */

const NAMES = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Marie Curie', 'Niels Bohr', 'Rosalind Franklin', 'Paris', 'Berlin', 'Lisbon', 'Oslo', 'the Royal Society', 'Google'];
const VERBS = ['met', 'wrote to', 'visited', 'studied with', 'argued with', 'travelled to', 'founded', 'praised'];
const NOUNS = [
  'the harbour',
  'a treaty',
  'the observatory',
  'a manuscript',
  'the laboratory',
  'an analytical engine',
  'the archive',
  'a glacier',
  'the Battle of Britain',
  'a summit',
];

/** Deterministic prose with varied sentence shapes (same generator as bench/ingest-rss.js, more templates). */
function prose(sentences: number, seed0: number): string {
  let seed = seed0;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  const out: string[] = [];
  for (let n = 0; n < sentences; n++) {
    const shape = n % 4;
    const s =
      shape === 0
        ? `${pick(NAMES)} ${pick(VERBS)} ${pick(NAMES)} near ${pick(NOUNS)} in ${1800 + (n % 200)}.`
        : shape === 1
          ? `In ${pick(NAMES)}, the committee on ${pick(NOUNS)} discussed the ${pick(['quiet', 'famous', 'lost', 'early'])} ${pick(['letters', 'engines', 'maps', 'theories'])} of ${pick(NAMES)}.`
          : shape === 2
            ? `"${pick(NAMES)} and ${pick(NAMES)}," said ${pick(NAMES)}, "shared ${pick(NOUNS)}; nobody else did!"`
            : `Later, ${pick(NAMES)}'s work on ${pick(NOUNS)} influenced ${pick(NAMES)} (see item ${n}).`;
    out.push(s + (n % 9 === 8 ? '\n\n' : ' '));
  }
  return out.join('');
}

const sha = (rows: unknown[]) => createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16);

describe('ingestion stores the same graph for a fixed text', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('chunks, entities, relations and support rows of two documents match the recorded snapshot', async () => {
    const a = await seedTenant(t, 'Graph identity');
    const kb = (await t.http.post(`/api/v1/tenants/${a.tenantId}/knowledge-bases`, { kb_name: 'fixed', config: { chunk_token_size: 200, chunk_overlap_token_size: 20 } }, t.admin))
      .body.data.kb_id as string;
    const docs: string[] = [];
    for (const [i, text] of [prose(700, 11), prose(150, 29)].entries()) {
      const r = await t.http.post(`${kbPath(a.tenantId, kb)}/documents/text`, { text, file_source: `fixed-${i}.txt` }, a.key);
      expect(r.status).toBe(202);
      await waitForProcessed(t.http, a.tenantId, kb, r.body.data.document_id, a.key, 120_000);
      docs.push(r.body.data.document_id);
    }
    const digest = await t.db.withTenant(a.tenantId, async (db) => {
      // A relation's source/target order follows its entities' random ids: compare the unordered pair.
      const pair = `LEAST(s.name_key, t.name_key COLLATE "C") AS a, GREATEST(s.name_key, t.name_key COLLATE "C") AS b`;
      const docOrder = `CASE document_id WHEN '${docs[0]}' THEN 0 ELSE 1 END`;
      const chunks = await db.many(
        `SELECT ${docOrder} AS doc, chunk_index, tokens, md5(content) AS content, md5(embedding::text) AS embedding
         FROM chunks WHERE tenant_id = $1 AND kb_id = $2 ORDER BY 1, 2`,
        [a.tenantId, kb],
      );
      const entities = await db.many(
        `SELECT name_key, name, type, description, md5(embedding::text) AS embedding
         FROM entities WHERE tenant_id = $1 AND kb_id = $2 ORDER BY name_key COLLATE "C"`,
        [a.tenantId, kb],
      );
      const relations = await db.many(
        `SELECT ${pair}, r.keywords, r.description, r.weight, md5(r.embedding::text) AS embedding
         FROM relations r JOIN entities s ON s.id = r.source_id JOIN entities t ON t.id = r.target_id
         WHERE r.tenant_id = $1 AND r.kb_id = $2 ORDER BY a, b`,
        [a.tenantId, kb],
      );
      const entitySupport = await db.many(
        `SELECT e.name_key, CASE c.document_id WHEN '${docs[0]}' THEN 0 ELSE 1 END AS doc, c.chunk_index, ec.description
         FROM entity_chunks ec JOIN entities e ON e.id = ec.entity_id JOIN chunks c ON c.id = ec.chunk_id
         WHERE ec.tenant_id = $1 AND ec.kb_id = $2 ORDER BY e.name_key COLLATE "C", doc, c.chunk_index`,
        [a.tenantId, kb],
      );
      const relationSupport = await db.many(
        `SELECT ${pair}, CASE c.document_id WHEN '${docs[0]}' THEN 0 ELSE 1 END AS doc, c.chunk_index, rc.keywords, rc.description, rc.weight
         FROM relation_chunks rc JOIN relations r ON r.id = rc.relation_id JOIN entities s ON s.id = r.source_id JOIN entities t ON t.id = r.target_id
         JOIN chunks c ON c.id = rc.chunk_id
         WHERE rc.tenant_id = $1 AND rc.kb_id = $2 ORDER BY a, b, doc, c.chunk_index`,
        [a.tenantId, kb],
      );
      const count = (rows: unknown[]) => ({ rows: rows.length, sha256: sha(rows) });
      return {
        chunks: count(chunks),
        entities: count(entities),
        relations: count(relations),
        entitySupport: count(entitySupport),
        relationSupport: count(relationSupport),
        // A readable sample, so a failure shows what moved.
        sample: { entity: entities.find((e: any) => e.name_key === 'ada lovelace'), relation: relations[0] },
      };
    });
    expect(digest.chunks.rows).toBeGreaterThan(64); // more than two embedding batches of the first document
    expect(digest).toMatchSnapshot();
  }, 300_000);
});

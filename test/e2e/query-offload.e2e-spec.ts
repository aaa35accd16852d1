import { RagCompute, QUERY_INLINE_MAX_CHARS } from '../../src/rag/compute/rag-compute';
import { LocalEmbeddingProvider } from '../../src/rag/providers/local-embedding.provider';
import { extractQueryKeywords } from '../../src/rag/providers/local-keyword-extractor';
import { addTextAndWait } from '../support/rag';
import { seedTenant, startTestApp, TestApp } from '../support/test-app';

/**
 * A long query's local keyword extraction and embedding (0.2–0.5 s of CPU
 * for 10 000 characters) run in a compute thread, not on the thread that
 * answers every tenant's requests; short queries stay inline. The thread
 * computes exactly what the request thread would.
 */
describe('long queries: keyword extraction and embedding in a compute thread', () => {
  let t: TestApp;
  let seeded: Awaited<ReturnType<typeof seedTenant>>;
  let compute: RagCompute;
  const longQuery = `${'Who founded the lighthouse of Porto, in Portugal, and when did Maria Silva visit it? '.repeat(60)}灯台の歴史`;

  beforeAll(async () => {
    t = await startTestApp();
    seeded = await seedTenant(t, `offload-${Date.now()}`);
    await addTextAndWait(t.http, seeded.tenantId, seeded.kbIds[0], 'Maria Silva visited the lighthouse of Porto in 1890. It was founded by João Costa.', 'porto.txt', seeded.key);
    compute = t.app.get(RagCompute);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
  });

  const query = (q: string, mode: string) =>
    t.http.post(`/api/v1/tenants/${seeded.tenantId}/knowledge-bases/${seeded.kbIds[0]}/query`, { query: q, mode, only_need_context: true }, seeded.key);

  it(`sends a query over ${QUERY_INLINE_MAX_CHARS} characters to the compute threads, and keeps a short one inline`, async () => {
    expect(longQuery.length).toBeGreaterThan(QUERY_INLINE_MAX_CHARS);
    const keywords = jest.spyOn(compute, 'keywords');
    const embed = jest.spyOn(compute, 'embed');
    const long = await query(longQuery, 'mix');
    expect(long.status).toBe(200);
    expect(long.body.data.context.chunks[0].content).toContain('Maria Silva');
    expect(keywords).toHaveBeenCalledTimes(1);
    expect(embed).toHaveBeenCalledTimes(1);
    expect(embed.mock.calls[0][0][0]).toBe(longQuery);

    const naive = await query(`${longQuery} naive`, 'naive');
    expect(naive.status).toBe(200);
    expect(keywords).toHaveBeenCalledTimes(1);
    expect(embed).toHaveBeenCalledTimes(2);

    const short = await query('Who visited the lighthouse of Porto?', 'mix');
    expect(short.status).toBe(200);
    expect(keywords).toHaveBeenCalledTimes(1);
    expect(embed).toHaveBeenCalledTimes(2);
  });

  it('the thread computes the same keywords and vectors as the request thread would', async () => {
    const offload = compute.forQuery('tenant-offload-test');
    const { result } = await offload.keywords(longQuery);
    expect(result).toEqual(extractQueryKeywords(longQuery));
    const { vectors } = await offload.embed([longQuery, 'lighthouse'], 1024, 'local-lexical-hash');
    const inline = new LocalEmbeddingProvider(1024);
    expect(vectors).toEqual([inline.embedOne(longQuery), inline.embedOne('lighthouse')]);
  });
});

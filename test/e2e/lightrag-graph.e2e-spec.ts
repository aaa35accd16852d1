import { lr, LightragFixture, seedLightragFixture } from '../support/lightrag';
import { addTextAndWait } from '../support/rag';
import { startTestApp, TestApp } from '../support/test-app';

const MARIE = `Marie Curie was a physicist and chemist who worked in Paris. Marie Curie discovered polonium and radium with Pierre Curie.
She won the Nobel Prize in Physics in 1903 and the Nobel Prize in Chemistry in 1911. The University of Paris appointed Marie Curie as its first woman professor.`;
const SECRET = `Globex Quartermaster Zebulon Vantablack guards the Obsidian Vault in Springfield.`;

/** ADR 007 compatibility cases 19 and 20: the graph routes, as bare JSON, of the resolved KB only. */
describe('LightRAG compat: graph labels, subgraphs and entity lookups', () => {
  let t: TestApp;
  let f: LightragFixture;

  beforeAll(async () => {
    t = await startTestApp();
    f = await seedLightragFixture(t);
    await addTextAndWait(t.http, f.A.tenantId, f.A.manualsId, MARIE, 'marie.txt', f.kAll);
    await addTextAndWait(t.http, f.B.tenantId, f.B.secretsId, SECRET, 'vault.txt', f.kB);
  });
  afterAll(() => t.close());

  it('#19 popular, search and list are bare string arrays (bounded by limit; every hit contains q)', async () => {
    const popular = await lr(t, 'GET', '/graph/label/popular?limit=5', { as: f.kM });
    expect(popular.status).toBe(200);
    expect(Array.isArray(popular.body)).toBe(true);
    expect(popular.body.length).toBeGreaterThan(0);
    expect(popular.body.length).toBeLessThanOrEqual(5);
    for (const l of popular.body) expect(typeof l).toBe('string');
    const search = await lr(t, 'GET', '/graph/label/search?q=mar&limit=10', { as: f.kM });
    expect(search.status).toBe(200);
    expect(search.body).toContain('Marie Curie');
    for (const l of search.body) expect(l.toLowerCase()).toContain('mar');
    const list = await lr(t, 'GET', '/graph/label/list', { as: f.kM });
    expect(list.status).toBe(200);
    expect(list.body).toEqual(expect.arrayContaining(['Marie Curie', 'Pierre Curie']));
    expect(list.body).toEqual([...list.body].sort((a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase())));
    // a % or _ in q matches itself, not everything
    const wild = await lr(t, 'GET', '/graph/label/search?q=%25', { as: f.kM });
    expect(wild.body).toEqual([]);
  });

  it('#20 /graphs around an entity and for *, every edge endpoint a node; entity exists', async () => {
    const g = await lr(t, 'GET', '/graphs?label=Marie%20Curie&max_depth=2&max_nodes=50', { as: f.kM });
    expect(g.status).toBe(200);
    expect(g.body).toEqual({ nodes: expect.any(Array), edges: expect.any(Array), is_truncated: expect.any(Boolean) });
    const ids = g.body.nodes.map((n: { id: string }) => n.id);
    expect(ids).toContain('Marie Curie');
    expect(g.body.nodes.length).toBeLessThanOrEqual(50);
    for (const n of g.body.nodes) expect(n).toEqual({ id: expect.any(String), labels: expect.any(Array), properties: expect.objectContaining({ entity_id: n.id }) });
    expect(g.body.edges.length).toBeGreaterThan(0);
    for (const e of g.body.edges) {
      expect(e).toEqual({
        id: expect.any(String),
        type: expect.any(String),
        source: expect.any(String),
        target: expect.any(String),
        properties: expect.objectContaining({ weight: expect.any(Number) }),
      });
      expect(ids).toEqual(expect.arrayContaining([e.source, e.target]));
    }
    const all = await lr(t, 'GET', '/graphs?label=*&max_nodes=1', { as: f.kM });
    expect(all.body.nodes).toHaveLength(1);
    expect(all.body.is_truncated).toBe(true);
    // LightRAG has no upper bound: above Strata's, the request is clamped, not refused.
    const big = await lr(t, 'GET', '/graphs?label=*&max_depth=99&max_nodes=100000', { as: f.kM });
    expect(big.status).toBe(200);
    expect((await lr(t, 'GET', '/graph/entity/exists?name=Marie%20Curie', { as: f.kM })).body).toEqual({ exists: true });
    expect((await lr(t, 'GET', '/graph/entity/exists?name=NoSuchEntity', { as: f.kM })).body).toEqual({ exists: false });
  });

  it('invalid parameters are 422 lists naming the field; graph editing is 501 with a detail', async () => {
    for (const [path, field] of [
      ['/graphs', 'label'],
      ['/graphs?label=x&max_depth=0', 'max_depth'],
      ['/graph/label/popular?limit=abc', 'limit'],
      ['/graph/label/search', 'q'],
      ['/graph/entity/exists', 'name'],
    ]) {
      const r = await lr(t, 'GET', path, { as: f.kM });
      expect({ path, status: r.status }).toEqual({ path, status: 422 });
      expect(r.body.detail[0].loc).toEqual(['query', field]);
    }
    const edit = await lr(t, 'POST', '/graph/entity/edit', { as: f.kAll, ws: 'Manuals', body: { entity_name: 'Marie Curie', updated_data: { description: 'x' } } });
    expect(edit.status).toBe(501);
    expect(typeof edit.body.detail).toBe('string');
    expect((await lr(t, 'GET', '/graph/entity/exists?name=Marie%20Curie', { as: f.kM })).body).toEqual({ exists: true });
  });

  it('isolation: tenant A sees none of B’s graph, whatever it names; B’s key cannot name A’s KB', async () => {
    for (const path of ['/graph/label/list', '/graph/label/popular?limit=1000', '/graph/label/search?q=vault', '/graphs?label=*', '/graph/entity/exists?name=Obsidian%20Vault']) {
      const r = await lr(t, 'GET', path, { as: f.kAll, ws: 'Manuals' });
      expect(r.status).toBe(200);
      expect(r.text).not.toMatch(/Zebulon|Vantablack|Obsidian/);
    }
    // B itself sees them (so their absence above means isolation, not an empty graph)
    expect((await lr(t, 'GET', '/graph/label/list', { as: f.kB, ws: 'Secrets' })).text).toMatch(/Zebulon|Vantablack|Obsidian/);
    const foreign = await lr(t, 'GET', '/graph/label/list', { as: f.kB, ws: `${f.A.slug}__Manuals` });
    expect(foreign.status).toBe(403);
    expect(foreign.text).not.toContain('Marie');
  });
});

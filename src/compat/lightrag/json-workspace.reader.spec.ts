import { join } from 'node:path';
import { parseGraphml, readJsonWorkspace } from './json-workspace.reader';

const FIXTURE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'lightrag-workspace', 'demo');

describe('LightRAG JSON working directory reader', () => {
  it('reads the demo workspace: documents with their chunks, entities and relations from the GraphML', () => {
    const ws = readJsonWorkspace(FIXTURE);
    expect(ws.name).toBe('demo');
    expect(ws.documents.length).toBeGreaterThanOrEqual(2);
    const light = ws.documents.find((d) => d.filePath === 'lighthouses.txt')!;
    expect(light.content).toMatch(/Bell Rock Lighthouse/);
    expect(light.chunks[0].sourceId).toMatch(/^chunk-/);
    const stevenson = ws.entities.find((e) => e.name === 'Robert Stevenson')!;
    expect(stevenson.type).toBe('person');
    expect(stevenson.chunkIds).toEqual([light.chunks[0].sourceId]);
    expect(ws.relations.some((r) => [r.source, r.target].includes('Robert Stevenson'))).toBe(true);
  });

  it('parses GraphML keys, escaped text and <SEP>-joined sources', () => {
    const xml = `<graphml><key id="d0" for="node" attr.name="entity_type"/><key id="d1" for="node" attr.name="source_id"/>
      <key id="d2" for="edge" attr.name="weight"/><key id="d3" for="edge" attr.name="description"/>
      <graph><node id="A &amp; B"><data key="d0">ORGANIZATION</data><data key="d1">chunk-1&lt;SEP&gt;chunk-2</data></node>
      <node id="C"/><edge source="A &amp; B" target="C"><data key="d2">2.5</data><data key="d3">x&lt;SEP&gt;y</data></edge></graph></graphml>`;
    const g = parseGraphml(xml);
    expect(g.entities[0]).toMatchObject({ name: 'A & B', type: 'organization', chunkIds: ['chunk-1', 'chunk-2'] });
    expect(g.entities[1]).toMatchObject({ name: 'C', type: 'unknown', chunkIds: [] });
    expect(g.relations[0]).toMatchObject({ source: 'A & B', target: 'C', weight: 2.5, description: 'x\ny' });
  });

  it('names a missing working directory clearly', () => {
    expect(() => readJsonWorkspace('/nonexistent/dir')).toThrow(/does not exist/);
  });
});

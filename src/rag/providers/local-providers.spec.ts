import { ModelUsage, UsageSink } from '../ports';
import { LocalAnswerer, composeExtractiveAnswer } from './local-answerer';
import { LocalEmbeddingProvider } from './local-embedding.provider';
import { LocalExtractionProvider, extractEntitiesAndRelations, normaliseName } from './local-extraction.provider';
import { LocalKeywordExtractor, extractQueryKeywords } from './local-keyword-extractor';
import { stem } from './lexical';
import { AnswerInput, CallContext } from './provider.types';
import { ProviderTelemetry } from './provider-telemetry';

class MemoryUsage extends UsageSink {
  events: ModelUsage[] = [];
  record(e: ModelUsage): void {
    this.events.push(e);
  }
}

const ctx: CallContext = { tenantId: 't1', kbId: 'kb1', apiKeyId: 'k1', purpose: 'embedding' };
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('LocalEmbeddingProvider', () => {
  const e = new LocalEmbeddingProvider(256);

  it('returns deterministic unit vectors of the configured width', async () => {
    const [a, b, empty] = await e.embed(['The Normans settled in Normandy.', 'The Normans settled in Normandy.', ''], ctx);
    expect(a).toHaveLength(256);
    expect(a).toEqual(b);
    expect(dot(a, a)).toBeCloseTo(1, 6);
    expect(dot(empty, empty)).toBeCloseTo(1, 6);
  });

  it('ranks the passage that shares the query terms first, across inflections', () => {
    const q = e.embedOne('Where did the Normans settle?');
    const hit = e.embedOne('In the 10th century Norman raiders settled the region that became Normandy.');
    const miss = e.embedOne('Photosynthesis converts light energy into chemical energy in plants.');
    expect(dot(q, hit)).toBeGreaterThan(dot(q, miss) + 0.1);
  });

  it('reports token usage as provider local', async () => {
    const usage = new MemoryUsage();
    await new LocalEmbeddingProvider(64, 'local-lexical-hash', new ProviderTelemetry(usage, null)).embed(['hello world'], ctx);
    expect(usage.events).toEqual([
      expect.objectContaining({ tenantId: 't1', kbId: 'kb1', apiKeyId: 'k1', provider: 'local', kind: 'embedding', inputTokens: 2, outputTokens: 0, executionMode: 'hosted' }),
    ]);
  });

  it('stems plural and verb forms together', () => {
    expect(stem('settled')).toBe(stem('settles'));
    expect(stem('companies')).toBe(stem('company'));
    expect(stem('running')).toBe(stem('run'));
  });
});

describe('LocalExtractionProvider', () => {
  const text =
    'Barack Obama was born in Honolulu. Obama served as president of the United States. ' +
    'Barack Obama met Angela Merkel in Berlin during the Climate Summit. The climate policy was discussed, and the climate policy was criticised.';

  it('finds people, places, organisations and recurring concepts with sentence descriptions', () => {
    const { entities } = extractEntitiesAndRelations(text);
    const byName = new Map(entities.map((e) => [e.name.toLowerCase(), e]));
    expect(byName.get('barack obama')?.type).toBe('person');
    expect(byName.get('angela merkel')?.type).toBe('person');
    expect(byName.get('honolulu')?.type).toBe('location');
    expect(byName.get('berlin')?.type).toBe('location');
    expect(byName.get('climate policy')?.type).toBe('concept');
    expect(byName.get('barack obama')?.description).toContain('born in Honolulu');
    // Deduplicated case-insensitively.
    expect(entities.filter((e) => e.name.toLowerCase() === 'barack obama')).toHaveLength(1);
  });

  it('relates entities of the same sentence with the verbs as keywords and the sentence as description', () => {
    const { relations } = extractEntitiesAndRelations(text);
    const r = relations.find((x) => [x.source, x.target].sort().join('|') === 'Angela Merkel|Barack Obama');
    expect(r).toBeDefined();
    expect(r!.keywords).toContain('met');
    expect(r!.description).toContain('met Angela Merkel in Berlin');
    expect(r!.weight).toBe(1);
  });

  it('normalises names: punctuation trimmed, proper nouns title-cased', () => {
    expect(normaliseName(' "paris," ', true)).toBe('Paris');
    expect(normaliseName("IBM's", true)).toBe('IBM');
    expect(normaliseName('new york', true)).toBe('New York');
  });

  it('handles empty text and records usage', async () => {
    const usage = new MemoryUsage();
    const p = new LocalExtractionProvider(new ProviderTelemetry(usage, null));
    expect(await p.extract('  ', ctx)).toEqual({ entities: [], relations: [] });
    expect(usage.events[0]).toEqual(expect.objectContaining({ provider: 'local', kind: 'extraction' }));
  });
});

describe('LocalKeywordExtractor', () => {
  it('splits a query into entities (low level) and themes (high level)', async () => {
    const k = await new LocalKeywordExtractor().extractKeywords('What were the main causes of the French Revolution?', [], ctx);
    expect(k.lowLevel).toContain('French Revolution');
    expect(k.highLevel).toContain('main causes');
    expect(k.highLevel.map((x) => x.toLowerCase())).not.toContain('what');
  });

  it('returns empty lists for an empty query', () => {
    expect(extractQueryKeywords('  ')).toEqual({ highLevel: [], lowLevel: [] });
  });
});

describe('LocalAnswerer', () => {
  const input: AnswerInput = {
    query: 'Where did the Normans settle?',
    chunks: [
      { chunk_id: 'c1', document_id: 'd1', file_path: 'normans.txt', content: 'The Normans settled in Normandy, in northern France. They spoke Norman.', score: 0.9 },
      { chunk_id: 'c2', document_id: 'd2', file_path: 'plants.txt', content: 'Photosynthesis converts light into chemical energy. Plants need water.', score: 0.2 },
    ],
    entities: [],
    relations: [],
  };

  it('quotes the best sentences, says it is extractive and lists references', () => {
    const text = composeExtractiveAnswer(input);
    expect(text.split('\n')[0]).toMatch(/Extractive answer/);
    expect(text).toContain('The Normans settled in Normandy, in northern France.');
    expect(text).not.toContain('Photosynthesis');
    expect(text).toContain('### References\n[1] normans.txt');
  });

  it('quotes the sentences of a Markdown document without its headings (a quoted "# …" would make the paragraph a heading)', () => {
    const content = '# Normandy\nThe Normans settled in Normandy, in northern France.\n\n## Language of the Normans\n\nThey spoke Norman.';
    const text = composeExtractiveAnswer({ ...input, chunks: [{ ...input.chunks[0], content }] });
    expect(text).toContain('The Normans settled in Normandy, in northern France.');
    expect(text.split('\n').filter((l) => l.startsWith('#'))).toEqual(['### References']);
  });

  it('follows response_type: bullet points and single paragraph', () => {
    expect(composeExtractiveAnswer({ ...input, responseType: 'Bullet Points' })).toMatch(/^- The Normans settled in Normandy, in northern France\. \[1\]$/m);
    const single = composeExtractiveAnswer({ ...input, responseType: 'Single Paragraph' });
    const body = single.split('\n\n')[1];
    expect(body.split(/(?<=\]) /).length).toBeLessThanOrEqual(3);
  });

  it('streams the same text in small deltas and records usage once', async () => {
    const usage = new MemoryUsage();
    const a = new LocalAnswerer(new ProviderTelemetry(usage, null));
    const deltas: string[] = [];
    for await (const d of a.stream(input, { ...ctx, purpose: 'answer' })) deltas.push(d);
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe(composeExtractiveAnswer(input));
    expect(usage.events).toHaveLength(1);
    expect(usage.events[0]).toEqual(expect.objectContaining({ kind: 'answer', provider: 'local' }));
    expect(usage.events[0].outputTokens).toBeGreaterThan(10);
  });

  it('says so when there is no context or the mode is bypass', () => {
    expect(composeExtractiveAnswer({ ...input, chunks: [] })).toContain('no passages relevant');
    expect(composeExtractiveAnswer({ ...input, bypass: true })).toContain('cannot answer without retrieved context');
  });
});

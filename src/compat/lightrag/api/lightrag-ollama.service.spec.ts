import { answerMessages } from '../../../rag/providers/prompts';
import { kbTag, parseQueryMode } from './lightrag-ollama.service';

describe('parseQueryMode (LightRAG ollama_api.py parse_query_mode)', () => {
  it.each([
    ['/local who is Acme?', 'who is Acme?', 'local', false],
    ['/global  who is Acme?', 'who is Acme?', 'global', false],
    ['/naive who', 'who', 'naive', false],
    ['/hybrid who', 'who', 'hybrid', false],
    ['/mix who', 'who', 'mix', false],
    ['/bypass hi there', 'hi there', 'bypass', false],
    ['/context who', 'who', 'mix', true],
    ['/localcontext who', 'who', 'local', true],
    ['/globalcontext who', 'who', 'global', true],
    ['/hybridcontext who', 'who', 'hybrid', true],
    ['/naivecontext who', 'who', 'naive', true],
    ['/mixcontext who', 'who', 'mix', true],
    ['who is Acme?', 'who is Acme?', 'mix', false],
    ['/unknown who', '/unknown who', 'mix', false],
    ['/local', '', 'local', false],
  ])('%j → query %j, mode %s, context only %s', (text, query, mode, onlyNeedContext) => {
    expect(parseQueryMode(text)).toEqual({ query, mode, onlyNeedContext, userPrompt: undefined });
  });

  it('takes the bracketed instructions as the user prompt, with or without a mode', () => {
    expect(parseQueryMode('/local[use a table] who is Acme?')).toEqual({ query: 'who is Acme?', mode: 'local', onlyNeedContext: false, userPrompt: 'use a table' });
    expect(parseQueryMode('/[use a table] who is Acme?')).toEqual({ query: 'who is Acme?', mode: 'mix', onlyNeedContext: false, userPrompt: 'use a table' });
    expect(parseQueryMode('/naivecontext[x] who\nand more')).toEqual({ query: 'who\nand more', mode: 'naive', onlyNeedContext: true, userPrompt: 'x' });
  });

  it('is linear on long hostile input', () => {
    const text = `/${'a'.repeat(5000)}[${'['.repeat(5000)}`;
    const started = Date.now();
    expect(parseQueryMode(text).mode).toBe('mix');
    expect(Date.now() - started).toBeLessThan(200);
  });
});

describe('kbTag', () => {
  it('lower-cases and replaces everything outside [a-z0-9_.-], at most 128 characters', () => {
    expect(kbTag('Manuals')).toBe('manuals');
    expect(kbTag('Product Docs v1.2 (EN)')).toBe('product_docs_v1.2__en_');
    expect(kbTag('Ünïcode/KB:x')).toBe('_n_code_kb_x');
    expect(kbTag('k'.repeat(300))).toHaveLength(128);
  });
});

describe('answerMessages: the bypass system prompt', () => {
  const base = { query: 'Say hi', chunks: [], entities: [], relations: [], bypass: true };
  it('sends the request’s system prompt first, and none when the request has none', () => {
    expect(answerMessages({ ...base, system: 'You are a pirate.' })).toEqual([
      { role: 'system', content: 'You are a pirate.' },
      { role: 'user', content: 'Say hi' },
    ]);
    expect(answerMessages(base)).toEqual([{ role: 'user', content: 'Say hi' }]);
  });
  it('puts the user prompt into the answer instructions of a retrieval mode', () => {
    const [system] = answerMessages({ ...base, bypass: false, userPrompt: 'Answer in one line.' });
    expect(system.content).toContain('Additional instructions from the user (follow them unless they contradict the rules above):\nAnswer in one line.');
  });
});

import { answerMessages, queryContextText, referenceList } from './prompts';
import type { AnswerChunk } from './provider.types';

const chunk = (id: string, file_path: string, content = `text of ${id}`): AnswerChunk => ({ chunk_id: id, document_id: `doc-${file_path || id}`, file_path, content, score: 1 });

describe('answer prompt', () => {
  it('numbers files by chunk count (most first), ties by first appearance; a chunk without a file counts under its document', () => {
    const refs = referenceList({ chunks: [chunk('1', 'a.txt'), chunk('2', 'b.txt'), chunk('3', 'b.txt'), chunk('4', 'c.txt'), chunk('5', '')] });
    expect(refs.lines).toEqual(['[1] b.txt', '[2] a.txt', '[3] c.txt', '[4] doc-5']);
    expect(refs.idOf.get('a.txt')).toBe(2);
  });

  it('renders the context as LightRAG’s kg_query_context sections, chunks citing their file’s reference id', () => {
    const text = queryContextText({
      chunks: [chunk('1', 'a.txt', 'Alpha text'), chunk('2', 'b.txt', 'Beta one'), chunk('3', 'b.txt', 'Beta two')],
      entities: [{ name: 'Alpha', type: 'concept', description: 'First letter', score: 1 }],
      relations: [{ source: 'Alpha', target: 'Beta', keywords: 'precedes', description: 'Alpha comes before Beta', score: 1 }],
    });
    const order = ['Knowledge Graph Data (Entity)', 'Knowledge Graph Data (Relationship)', 'Document Chunks', 'Reference Document List'].map((h) => text.indexOf(h));
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]))).toBe(true);
    expect(text).toContain('{"entity":"Alpha","type":"concept","description":"First letter"}');
    expect(text).toContain('{"entity1":"Alpha","entity2":"Beta","keywords":"precedes","description":"Alpha comes before Beta"}');
    expect(text).toContain('{"reference_id":2,"content":"Alpha text"}');
    expect(text).toContain('{"reference_id":1,"content":"Beta one"}');
    expect(text).toContain('[1] b.txt\n[2] a.txt');
  });

  it('adds the user prompt to the instructions only when it is not blank', () => {
    const input = { query: 'Q?', chunks: [chunk('1', 'a.txt')], entities: [], relations: [] };
    expect(answerMessages({ ...input, userPrompt: 'Be brief.' })[0].content).toMatch(/5\. Additional instructions from the user[^\n]*\nBe brief\.\n\n---Context---/);
    expect(answerMessages({ ...input, userPrompt: ' ' })[0].content).not.toContain('Additional instructions');
    expect(answerMessages({ ...input, bypass: true })).toEqual([{ role: 'user', content: 'Q?' }]);
  });
});

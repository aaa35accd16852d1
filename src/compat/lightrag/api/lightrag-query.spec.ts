import type { AnswerChunk } from '../../../rag/providers/provider.types';
import { LightragValidationError } from './lightrag-errors';
import { LightragQueryDto } from './lightrag-query.dto';
import { lightragReferences, MAX_TOP_K, toQueryInput } from './lightrag-query.service';
import { parseLightrag } from './lightrag-validation';

const chunk = (id: string, file_path: string): AnswerChunk => ({ chunk_id: id, document_id: `d-${id}`, file_path, content: `content ${id}`, score: 1 });

describe('LightRAG query mapping', () => {
  it('references: one per non-empty file path, most chunks first, ties by first appearance, ids "1".."n"', () => {
    const chunks = [chunk('1', 'a.txt'), chunk('2', ''), chunk('3', 'b.txt'), chunk('4', 'b.txt'), chunk('5', 'unknown_source'), chunk('6', 'c.txt'), chunk('7', 'a.txt')];
    expect(lightragReferences(chunks, false)).toEqual([
      { reference_id: '1', file_path: 'a.txt' },
      { reference_id: '2', file_path: 'b.txt' },
      { reference_id: '3', file_path: 'c.txt' },
    ]);
    expect(lightragReferences([chunk('1', 'a.txt'), chunk('2', 'b.txt'), chunk('3', 'b.txt')], true)).toEqual([
      { reference_id: '1', file_path: 'b.txt', content: ['content 2', 'content 3'] },
      { reference_id: '2', file_path: 'a.txt', content: ['content 1'] },
    ]);
    expect(lightragReferences([], false)).toEqual([]);
  });

  it('the request: mode mix by default, the query stripped, top_k clamped, null treated as absent, unknown history roles left out', () => {
    const dto = parseLightrag(LightragQueryDto, {
      query: '  What is covered?  ',
      top_k: 100000,
      chunk_top_k: null,
      user_prompt: 'Be brief.',
      conversation_history: [{ role: 'user', content: 'Hi' }, { role: 'tool', content: 'x' }, { role: 'assistant' }],
      history_turns: 3,
      some_unknown_field: true,
    });
    expect(toQueryInput(dto, undefined)).toEqual({
      query: 'What is covered?',
      mode: 'mix',
      topK: MAX_TOP_K,
      chunkTopK: undefined,
      enableRerank: undefined,
      responseType: undefined,
      history: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: '' },
      ],
      userPrompt: 'Be brief.',
      apiKeyId: undefined,
    });
  });

  it('validation: a failure is a LightragValidationError whose loc ends in the field', () => {
    const fail = (body: unknown) => {
      try {
        parseLightrag(LightragQueryDto, body);
      } catch (err) {
        expect(err).toBeInstanceOf(LightragValidationError);
        return (err as LightragValidationError).errors[0].loc;
      }
      throw new Error('accepted');
    };
    expect(fail({ query: 'hi' })).toEqual(['body', 'query']);
    expect(fail({ query: 'abc', mode: 'fast' })).toEqual(['body', 'mode']);
    expect(fail({ query: 'abc', top_k: 0 })).toEqual(['body', 'top_k']);
    expect(fail({ query: 'abc', conversation_history: [{ content: 'x' }] })).toEqual(['body', 'conversation_history', 0, 'role']);
  });
});

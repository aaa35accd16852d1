import { AnswerInput, ChatMessage } from './provider.types';

/**
 * Prompts of the openai binding, adapted from LightRAG's prompt.py
 * (entity_extraction, keywords_extraction, rag_response) to ask for JSON
 * instead of LightRAG's tuple delimiters, which are easier to validate.
 */

export const ENTITY_TYPES = ['person', 'organization', 'location', 'event', 'concept', 'category', 'technology', 'product'];

export function extractionMessages(text: string): ChatMessage[] {
  return [
    {
      role: 'system',
      content: `---Role---
You are a knowledge graph specialist responsible for extracting entities and relationships from the input text.

---Instructions---
1. Identify clearly defined and meaningful entities. For each entity give:
   - name: the entity's name, in title case for proper nouns, consistent across the text;
   - type: one of ${ENTITY_TYPES.join(', ')} (use "concept" if none fits);
   - description: a concise but complete description of the entity based only on the input text.
2. Identify direct, clearly stated relationships between the extracted entities. For each relationship give:
   - source and target: entity names exactly as in the entity list;
   - keywords: one or more high-level keywords summarising the nature of the relationship, comma-separated;
   - description: why the source and the target are related, based only on the input text;
   - weight: a number from 1 to 10 for the strength of the relationship.
3. Do not invent facts that are not in the text. Write in the language of the input text.

---Output---
Return only a JSON object of this shape, with no prose and no code fences:
{"entities": [{"name": "...", "type": "...", "description": "..."}], "relations": [{"source": "...", "target": "...", "keywords": "...", "description": "...", "weight": 5}]}`,
    },
    { role: 'user', content: `---Input Text---\n${text}\n\n---Task---\nExtract the entities and relations of the input text as the JSON object described.` },
  ];
}

export const EXTRACTION_CORRECTION =
  'Your previous answer was not a valid JSON object of the required shape. Answer again with ONLY the JSON object {"entities": [...], "relations": [...]}, every entity with string name/type/description and every relation with string source/target/keywords/description and a numeric weight.';

export function keywordMessages(query: string, history: ChatMessage[]): ChatMessage[] {
  const hist = history.length ? history.map((m) => `${m.role}: ${m.content}`).join('\n') : '(none)';
  return [
    {
      role: 'system',
      content: `---Role---
You are an expert keyword extractor, specialising in analysing user queries for a Retrieval-Augmented Generation (RAG) system.

---Goal---
Given a user query (and the conversation so far), extract two kinds of keywords:
1. high_level_keywords: overarching concepts or themes, capturing the core intent and subject areas of the query;
2. low_level_keywords: specific entities or details: proper nouns, technical terms, product names, concrete items.

---Instructions---
- Keywords are concise words or meaningful phrases taken from, or directly implied by, the query; prefer multi-word phrases for single concepts.
- For a vague or meaningless query, return empty lists.
- Output only a JSON object: {"high_level_keywords": [...], "low_level_keywords": [...]}, with no prose and no code fences.`,
    },
    { role: 'user', content: `---Conversation History---\n${hist}\n\n---User Query---\n${query}` },
  ];
}

export function answerMessages(input: AnswerInput): ChatMessage[] {
  const history = input.history ?? [];
  const userPrompt = input.userPrompt?.trim();
  if (input.bypass) {
    // The request's own system prompt first, then its extra instructions: both for this one call only.
    const system: ChatMessage[] = [
      ...(input.system?.trim() ? [{ role: 'system' as const, content: input.system }] : []),
      ...(userPrompt ? [{ role: 'system' as const, content: userPrompt }] : []),
    ];
    return [...system, ...history, { role: 'user', content: input.query }];
  }
  return [{ role: 'system', content: answerSystemPrompt(input) }, ...history, { role: 'user', content: input.query }];
}

/** The system prompt of a RAG answer: role, instructions (with the caller's user_prompt) and the retrieved context. */
export function answerSystemPrompt(input: AnswerInput): string {
  const responseType = input.responseType?.trim() || 'Multiple Paragraphs';
  const userPrompt = input.userPrompt?.trim();
  const extra = userPrompt ? `\n5. Additional instructions from the user (follow them unless they contradict the rules above):\n${userPrompt}` : '';
  return `---Role---
You are an expert AI assistant specialising in synthesising information from a provided knowledge base. Answer the user query using ONLY the information in the Context below.

---Instructions---
1. Read the conversation history to understand the flow of the conversation.
2. Use the Knowledge Graph Data (entities and relationships) and the Document Chunks to build the answer. Do not invent information that is not in the context; if the context does not contain the answer, say that you do not know.
3. Format: ${responseType}. Use Markdown with headings where useful. Answer in the language of the user query.
4. Cite sources: mark statements with their reference ids, e.g. [1], and end with a "### References" section listing at most 5 of the references used, one per line, as "[n] file_path".${extra}

---Context---
${queryContextText(input)}`;
}

/**
 * The retrieved context as LightRAG's kg_query_context text: entities,
 * relationships and chunks as JSON lines (chunks carry the reference id of
 * their file), then the reference list "[n] file_path".
 */
export function queryContextText(input: Pick<AnswerInput, 'chunks' | 'entities' | 'relations'>): string {
  const entities = input.entities.map((e) => JSON.stringify({ entity: e.name, type: e.type, description: e.description })).join('\n');
  const relations = input.relations.map((r) => JSON.stringify({ entity1: r.source, entity2: r.target, keywords: r.keywords, description: r.description })).join('\n');
  const refs = referenceList(input);
  const chunks = input.chunks.map((c) => JSON.stringify({ reference_id: refs.idOf.get(c.file_path || c.document_id), content: c.content })).join('\n');
  return `Knowledge Graph Data (Entity):

\`\`\`json
${entities}
\`\`\`

Knowledge Graph Data (Relationship):

\`\`\`json
${relations}
\`\`\`

Document Chunks (Each entry has a reference_id refer to the \`Reference Document List\`):

\`\`\`json
${chunks}
\`\`\`

Reference Document List (Each entry starts with a [reference_id] that corresponds to entries in the Document Chunks):

\`\`\`
${refs.lines.join('\n')}
\`\`\`
`;
}

/**
 * Reference ids [1..n] by file, shared by both answerers and the
 * LightRAG-compatible references: files ordered by how many of the chunks
 * they hold (most first), ties by first appearance, as LightRAG's
 * generate_reference_list_from_chunks. A chunk without a file path counts
 * under its document id.
 */
export function referenceList(input: Pick<AnswerInput, 'chunks'>): { idOf: Map<string, number>; lines: string[] } {
  const count = new Map<string, { n: number; first: number }>();
  input.chunks.forEach((c, i) => {
    const key = c.file_path || c.document_id;
    const had = count.get(key);
    if (had) had.n++;
    else count.set(key, { n: 1, first: i });
  });
  const ordered = [...count.entries()].sort((a, b) => b[1].n - a[1].n || a[1].first - b[1].first).map(([key]) => key);
  const idOf = new Map(ordered.map((key, i) => [key, i + 1]));
  return { idOf, lines: ordered.map((key, i) => `[${i + 1}] ${key}`) };
}

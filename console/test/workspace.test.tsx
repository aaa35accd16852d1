import { act, fireEvent, renderHook, screen, waitFor, within } from '@testing-library/react';
import { TextDecoder as NodeTextDecoder } from 'node:util';
import { ApiError } from '../src/api/client';
import type { KnowledgeGraph, StrataDocument } from '../src/api/workspace';
import { legendOf, toGraphology } from '../src/lib/graph';
import { applyLine, EMPTY_STREAM, ndjsonLines, streamQuery } from '../src/lib/ndjson';
import { needsPolling, usePolling } from '../src/lib/polling';
import { nextToStart, percent, uploadReducer, type UploadItem } from '../src/lib/upload';
import { sessionStore } from '../src/session/session';
import { page, renderAt, scriptFetch, signInAs, userOf } from './helpers';
// Loaded up front: the route's lazy import then resolves at once (react-markdown and its parsers are many modules to transform).
import '../src/pages/Playground';

// jsdom has no TextDecoder of its own.
globalThis.TextDecoder ??= NodeTextDecoder as unknown as typeof TextDecoder;

/** A stream reader that hands out the given byte chunks in order. */
function readerOf(chunks: Uint8Array[]): ReadableStreamDefaultReader<Uint8Array> {
  let i = 0;
  return {
    read: async () => (i < chunks.length ? { value: chunks[i++], done: false } : { value: undefined, done: true }),
    releaseLock: () => undefined,
  } as unknown as ReadableStreamDefaultReader<Uint8Array>;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('NDJSON stream parsing', () => {
  it('splits lines across chunks, even inside a UTF-8 character, skips blank lines and reads a last line without a newline', async () => {
    const bytes = Buffer.from('{"mode":"mix","references":[]}\n\n{"response":"Zürich "}\n{"response":"ok"}\n{"done":true}');
    const cut = bytes.indexOf(Buffer.from('ü')) + 1; // between the two bytes of ü
    const chunks = [bytes.subarray(0, 5), bytes.subarray(5, cut), bytes.subarray(cut, cut + 3), bytes.subarray(cut + 3)].map((b) => new Uint8Array(b));
    const lines = await collect(ndjsonLines(readerOf(chunks)));
    expect(lines).toEqual([{ mode: 'mix', references: [] }, { response: 'Zürich ' }, { response: 'ok' }, { done: true }]);
  });

  it('a line that is not JSON is an error that quotes it', async () => {
    await expect(collect(ndjsonLines(readerOf([new Uint8Array(Buffer.from('{"done":true}\nnot json\n'))])))).rejects.toThrow(/cannot read: not json/);
  });

  it('folds the lines into the answer, its references, the context and a mid-stream error with its request id', () => {
    const ref = { document_id: 'd1', file_path: 'a.md', chunk_id: 'c1', score: 0.9 };
    let s = [{ mode: 'naive', references: [ref] }, { response: 'Hello ' }, { response: '**world**' }].reduce(applyLine, EMPTY_STREAM);
    expect(s).toMatchObject({ mode: 'naive', references: [ref], answer: 'Hello **world**', done: false, error: null });
    s = applyLine(s, { error: { code: 'UPSTREAM_ERROR', message: 'The model failed.', request_id: 'req-9' } });
    expect(s.done).toBe(true);
    expect(s.error).toBeInstanceOf(ApiError);
    expect(s.error).toMatchObject({ code: 'UPSTREAM_ERROR', message: 'The model failed.', requestId: 'req-9' });
    const ctx = { chunks: [], entities: [{ name: 'A', type: 'org', description: '', score: 1 }], relations: [] };
    expect(applyLine(EMPTY_STREAM, { mode: 'mix', context: ctx, references: [] }).context).toEqual(ctx);
  });

  it('an error before the stream starts is the envelope as an ApiError', async () => {
    signInAs(userOf('viewer'));
    scriptFetch(() => ({ status: 403, body: { status: 'error', error: { code: 'FORBIDDEN', message: 'Not yours.', request_id: 'req-403' } } }));
    const err = await collect(streamQuery('tenant-1', 'k1', { query: 'q', mode: 'mix' })).catch((e) => e);
    expect(err).toMatchObject({ status: 403, code: 'FORBIDDEN', requestId: 'req-403' });
    sessionStore.signOut();
  });
});

describe('upload queue', () => {
  const add = (names: string[], items: UploadItem[] = [], firstId = 1) => uploadReducer(items, { type: 'add', files: names.map((name) => ({ name, size: 1000 })), firstId });

  it('starts at most two at a time, oldest first, and the next when one finishes', () => {
    let q = add(['a.md', 'b.pdf', 'c.txt']);
    expect(nextToStart(q).map((i) => i.name)).toEqual(['a.md', 'b.pdf']);
    q = uploadReducer(q, { type: 'start', id: 1 });
    q = uploadReducer(q, { type: 'start', id: 2 });
    expect(nextToStart(q)).toEqual([]);
    q = uploadReducer(q, { type: 'done', id: 1, documentId: 'doc-1' });
    expect(nextToStart(q).map((i) => i.name)).toEqual(['c.txt']);
  });

  it('tracks progress per file, capped at its size, and keeps the error of a failed one', () => {
    let q = add(['a.md', 'b.pdf']);
    q = uploadReducer(q, { type: 'start', id: 1 });
    q = uploadReducer(q, { type: 'progress', id: 1, loaded: 250 });
    expect(percent(q[0])).toBe(25);
    expect(percent(q[1])).toBe(0);
    q = uploadReducer(q, { type: 'progress', id: 1, loaded: 5000 });
    expect(q[0].loaded).toBe(1000);
    const error = new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Cannot parse .exe files.', 'req-415');
    q = uploadReducer(q, { type: 'failed', id: 2, error });
    expect(q[1]).toMatchObject({ state: 'failed', error });
    q = uploadReducer(q, { type: 'done', id: 1, documentId: 'doc-1' });
    expect(q[0]).toMatchObject({ state: 'done', documentId: 'doc-1' });
    expect(percent(q[0])).toBe(100);
    // Clearing drops the finished ones only.
    q = uploadReducer(add(['c.txt'], q, 3), { type: 'clear' });
    expect(q.map((i) => i.name)).toEqual(['c.txt']);
  });
});

describe('document status polling', () => {
  it('polls while a document is pending or processing, and not once none is', () => {
    expect(needsPolling([{ status: 'processed' }, { status: 'pending' }])).toBe(true);
    expect(needsPolling([{ status: 'processing' }])).toBe(true);
    expect(needsPolling([{ status: 'processed' }, { status: 'failed' }])).toBe(false);
    expect(needsPolling([])).toBe(false);
  });

  it('usePolling ticks on its interval while active and stops when it turns inactive', () => {
    jest.useFakeTimers();
    try {
      const tick = jest.fn();
      const { rerender, unmount } = renderHook(({ active }) => usePolling(active, tick, 1000), { initialProps: { active: true } });
      jest.advanceTimersByTime(3000);
      expect(tick).toHaveBeenCalledTimes(3);
      rerender({ active: false });
      jest.advanceTimersByTime(5000);
      expect(tick).toHaveBeenCalledTimes(3);
      rerender({ active: true });
      jest.advanceTimersByTime(1000);
      expect(tick).toHaveBeenCalledTimes(4);
      unmount();
      jest.advanceTimersByTime(5000);
      expect(tick).toHaveBeenCalledTimes(4);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('graph data to graphology', () => {
  const data: KnowledgeGraph = {
    nodes: [
      { id: 'Alice', labels: ['Alice'], properties: { entity_id: 'Alice', entity_type: 'person', description: 'A person.' } },
      { id: 'Acme', labels: ['Acme'], properties: { entity_id: 'Acme', entity_type: 'organization', description: 'A company.' } },
      { id: 'Bob', labels: ['Bob'], properties: { entity_id: 'Bob', entity_type: 'person', description: '' } },
    ],
    edges: [
      { id: 'e1', type: 'DIRECTED', source: 'Alice', target: 'Acme', properties: { weight: 3, keywords: 'works at', description: 'Alice works at Acme.' } },
      { id: 'e2', type: 'DIRECTED', source: 'Bob', target: 'Acme', properties: { weight: 1, keywords: 'founded', description: '' } },
      { id: 'e3', type: 'DIRECTED', source: 'Bob', target: 'Nobody', properties: { weight: 1, keywords: 'x', description: '' } },
    ],
    is_truncated: false,
  };

  it('keeps every node with its type, description and a position; skips edges to nodes outside the view; sizes nodes by degree', () => {
    const g = toGraphology(data);
    expect(g.order).toBe(3);
    expect(g.size).toBe(2);
    expect(g.getNodeAttributes('Alice')).toMatchObject({ label: 'Alice', entityType: 'person', description: 'A person.' });
    g.forEachNode((_, a) => {
      expect(Number.isFinite(a.x) && Number.isFinite(a.y)).toBe(true);
    });
    expect(g.getEdgeAttributes('e1')).toMatchObject({ keywords: 'works at', description: 'Alice works at Acme.', weight: 3 });
    expect([g.source('e1'), g.target('e1')]).toEqual(['Alice', 'Acme']);
    expect(g.getNodeAttribute('Acme', 'size')).toBeGreaterThan(g.getNodeAttribute('Alice', 'size'));
  });

  it('gives each entity type one colour, listed in the legend', () => {
    const g = toGraphology(data);
    expect(g.getNodeAttribute('Alice', 'color')).toBe(g.getNodeAttribute('Bob', 'color'));
    expect(g.getNodeAttribute('Alice', 'color')).not.toBe(g.getNodeAttribute('Acme', 'color'));
    expect(legendOf(g).map((l) => l.type)).toEqual(['person', 'organization']);
  });

  it('an empty subgraph is an empty graph', () => {
    expect(toGraphology({ nodes: [], edges: [], is_truncated: false }).order).toBe(0);
  });
});

describe('the documents page', () => {
  const doc = (id: string, status: StrataDocument['status'], error: string | null = null): StrataDocument => ({
    document_id: id,
    kb_id: 'k1',
    file_path: `${id}.md`,
    status,
    chunks_count: status === 'processed' ? 3 : 0,
    error,
    track_id: 't',
    content_hash: 'h',
    size_bytes: 2048,
    format: 'md',
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  });
  const KB = { kb_id: 'k1', tenant_id: 'tenant-1', kb_name: 'manuals', description: null, config: {}, created_at: '', updated_at: '' };

  afterEach(() => act(() => sessionStore.signOut()));

  it('filters by status through ?status= and shows a failed document’s error', async () => {
    const calls = scriptFetch(
      (c) => (c.url.includes('/documents?') && c.url.includes('status=failed') ? page([doc('bad', 'failed', 'The PDF has no text layer.')]) : undefined),
      (c) => (c.url.includes('/documents?') ? page([doc('good', 'processed'), doc('bad', 'failed', 'The PDF has no text layer.')]) : undefined),
      (c) => (c.url.endsWith('/knowledge-bases/k1') ? { body: { status: 'success', data: KB } } : undefined),
    );
    signInAs(userOf('owner'));
    renderAt('/tenants/tenant-1/knowledge-bases/k1/documents');
    expect(await screen.findByRole('cell', { name: /good\.md/ })).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'failed' } });
    // The failed document is on the unfiltered page too: wait for the filtered page to replace it (React renders it on a later task).
    await waitFor(() => expect(screen.queryByRole('cell', { name: /good\.md/ })).toBeNull());
    expect(screen.getByText('The PDF has no text layer.')).toBeTruthy();
    const listCalls = calls.filter((c) => c.url.includes('/documents?'));
    expect(listCalls[listCalls.length - 1].url).toMatch(/status=failed/);
    expect(listCalls[0].url).not.toMatch(/status=/);
  });

  it('an owner gets upload, paste and delete controls; a viewer none of them', async () => {
    scriptFetch(
      (c) => (c.url.includes('/documents?') ? page([doc('good', 'processed')]) : undefined),
      (c) => (c.url.endsWith('/knowledge-bases/k1') ? { body: { status: 'success', data: KB } } : undefined),
    );
    signInAs(userOf('owner'));
    const owner = renderAt('/tenants/tenant-1/knowledge-bases/k1/documents');
    expect(await screen.findByRole('button', { name: 'Delete good.md' })).toBeTruthy();
    expect(screen.getByLabelText('Choose files')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Add text' })).toBeTruthy();
    owner.unmount();
    act(() => sessionStore.signOut());

    signInAs(userOf('viewer'));
    renderAt('/tenants/tenant-1/knowledge-bases/k1/documents');
    expect(await screen.findByRole('cell', { name: /good\.md/ })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /delete|add text/i })).toBeNull();
    expect(screen.queryByLabelText('Choose files')).toBeNull();
    const tabs = within(screen.getByRole('navigation', { name: 'Knowledge base' }));
    expect(tabs.getByRole('link', { name: 'Query playground' })).toBeTruthy();
  });
});

describe('the query playground', () => {
  /** fetch answering the stream route with these NDJSON lines, in the given byte chunks. */
  function streamFetch(lines: unknown[], pieces = 3): void {
    const bytes = Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const size = Math.ceil(bytes.length / pieces);
    const chunks = Array.from({ length: pieces }, (_, i) => new Uint8Array(bytes.subarray(i * size, (i + 1) * size)));
    globalThis.fetch = jest.fn(async (input: RequestInfo | URL) => {
      if (String(input).endsWith('/query/stream'))
        return { ok: true, status: 200, statusText: '', headers: { get: () => 'req-1' }, body: { getReader: () => readerOf(chunks) } } as unknown as Response;
      const kb = { kb_id: 'k1', tenant_id: 'tenant-1', kb_name: 'manuals', description: null, config: {}, created_at: '', updated_at: '' };
      return { ok: true, status: 200, statusText: '', headers: { get: () => null }, text: async () => JSON.stringify({ status: 'success', data: kb }) } as unknown as Response;
    }) as typeof fetch;
  }
  afterEach(() => act(() => sessionStore.signOut()));

  it('renders the streamed answer as Markdown without raw HTML or script links, with its references', async () => {
    streamFetch([
      { mode: 'naive', references: [{ document_id: 'd1', file_path: 'guide.md', chunk_id: 'c1', score: 0.5 }] },
      { response: 'The **warranty** covers <img src="x" onerror="window.__pwned=1"> parts. ' },
      { response: '[click](javascript:window.__pwned=2) <script>window.__pwned=3</script>' },
      { done: true },
    ]);
    signInAs(userOf('viewer'));
    renderAt('/tenants/tenant-1/knowledge-bases/k1/playground');
    fireEvent.change(await screen.findByLabelText('Question', {}, { timeout: 10_000 }), { target: { value: 'What is covered?' } });
    fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
    expect(await screen.findByText('Done.')).toBeTruthy();
    const answer = screen.getByTestId('answer');
    expect(answer.querySelector('strong')?.textContent).toBe('warranty');
    expect(answer.querySelector('img, script, [onerror]')).toBeNull();
    const link = answer.querySelector('a');
    expect(link?.getAttribute('href') ?? '').not.toMatch(/javascript/i);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    expect(within(screen.getByRole('list', { name: 'References' })).getByText('guide.md')).toBeTruthy();
  });
});

import { useRef, useState } from 'react';
import Markdown from 'react-markdown';
import { useParams } from 'wouter';
import { api } from '../api/client';
import { QUERY_MODES, type ContextChunk, type QueryContext, type QueryMode } from '../api/workspace';
import { ErrorBanner } from '../components/ErrorBanner';
import { Select } from '../components/Field';
import { Table } from '../components/DataTable';
import { KbTabs } from '../components/KbTabs';
import { applyLine, EMPTY_STREAM, streamQuery, type StreamState } from '../lib/ndjson';

/**
 * Ask the KB: the answer streams in from POST …/query/stream (NDJSON) and is
 * rendered as Markdown by react-markdown, which builds React elements and
 * never injects HTML (raw HTML in the answer is not rendered; unsafe link
 * schemes are dropped). "Context only" shows what retrieval found, with no
 * model call.
 */
export default function Playground() {
  const { tenantId, kbId } = useParams<{ tenantId: string; kbId: string }>();
  const [mode, setMode] = useState<QueryMode>('mix');
  const [question, setQuestion] = useState('');
  const [contextOnly, setContextOnly] = useState(false);
  const [state, setState] = useState<StreamState | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [chunks, setChunks] = useState<Map<string, ContextChunk> | null>(null);
  const [chunksError, setChunksError] = useState<unknown>(null);
  const ctrl = useRef<AbortController | null>(null);
  const asked = useRef<{ query: string; mode: QueryMode } | null>(null);

  const ask = async () => {
    if (!question.trim()) {
      setError(new Error('Type a question first.'));
      return;
    }
    ctrl.current?.abort();
    const c = new AbortController();
    ctrl.current = c;
    asked.current = { query: question, mode };
    setError(null);
    setChunks(null);
    setChunksError(null);
    setRunning(true);
    let s = EMPTY_STREAM;
    setState(s);
    try {
      for await (const line of streamQuery(tenantId, kbId, { query: question, mode, ...(contextOnly ? { only_need_context: true } : {}) }, c.signal)) {
        s = applyLine(s, line);
        setState(s);
      }
    } catch (e) {
      if ((e as { name?: string }).name !== 'AbortError') setError(e);
    } finally {
      if (ctrl.current === c) setRunning(false);
    }
  };

  /** The references' chunk texts: the same retrieval again with only_need_context (no model call). */
  const loadChunks = async () => {
    if (!asked.current) return;
    setChunksError(null);
    try {
      const r = await api<{ context: QueryContext }>('POST', `/tenants/${tenantId}/knowledge-bases/${kbId}/query`, { body: { ...asked.current, only_need_context: true } });
      setChunks(new Map(r.data.context.chunks.map((ch) => [ch.chunk_id, ch])));
    } catch (e) {
      setChunksError(e);
    }
  };

  return (
    <section aria-labelledby="pg-title">
      <KbTabs tenantId={tenantId} kbId={kbId} />
      <h1 id="pg-title">Query playground</h1>
      <form
        className="card wide"
        aria-label="Ask the knowledge base"
        onSubmit={(e) => {
          e.preventDefault();
          void ask();
        }}
      >
        <div className="field">
          <label htmlFor="pg-question">Question</label>
          <textarea id="pg-question" rows={3} value={question} onChange={(e) => setQuestion(e.target.value)} maxLength={10000} />
        </div>
        <div className="inline-form">
          <Select label="Mode" value={mode} options={QUERY_MODES} onChange={setMode} hint="naive: chunks only; local/global/hybrid/mix: with the graph; bypass: no retrieval" />
          <div className="field checkbox">
            <label>
              <input type="checkbox" checked={contextOnly} onChange={(e) => setContextOnly(e.target.checked)} /> Context only (no answer, no model call)
            </label>
          </div>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={running}>
            Ask
          </button>
          {running && (
            <button type="button" onClick={() => ctrl.current?.abort()}>
              Stop
            </button>
          )}
        </div>
      </form>
      <ErrorBanner error={error ?? state?.error} />
      {state && !state.context && (
        <div className="card wide" aria-live="polite" aria-busy={running}>
          <h2>Answer {state.mode && <span className="badge">{state.mode}</span>}</h2>
          <div className="answer" data-testid="answer">
            {state.answer ? <Markdown>{state.answer}</Markdown> : <p className="muted">{running ? 'Waiting for the answer…' : 'No answer.'}</p>}
          </div>
          {state.done && !state.error && <p className="muted">Done.</p>}
        </div>
      )}
      {state && state.references.length > 0 && !state.context && (
        <div className="card wide">
          <h2>References</h2>
          <ol className="refs" aria-label="References">
            {state.references.map((r) => (
              <li key={r.chunk_id}>
                <strong>{r.file_path}</strong> <span className="muted">score {r.score.toFixed(3)}</span>
                {chunks?.get(r.chunk_id) && <blockquote className="chunk">{chunks.get(r.chunk_id)!.content}</blockquote>}
              </li>
            ))}
          </ol>
          {!chunks && (
            <button type="button" onClick={() => void loadChunks()}>
              Show chunk texts
            </button>
          )}
          <ErrorBanner error={chunksError} />
        </div>
      )}
      {state?.context && <ContextView context={state.context} />}
    </section>
  );
}

function ContextView({ context }: { context: QueryContext }) {
  return (
    <div className="card wide">
      <h2>Retrieved context</h2>
      <h3>Chunks ({context.chunks.length})</h3>
      <ol className="refs" aria-label="Chunks">
        {context.chunks.map((c) => (
          <li key={c.chunk_id}>
            <strong>{c.file_path}</strong> <span className="muted">score {c.score.toFixed(3)}</span>
            <blockquote className="chunk">{c.content}</blockquote>
          </li>
        ))}
      </ol>
      <h3>Entities ({context.entities.length})</h3>
      {context.entities.length > 0 && (
        <Table
          rows={context.entities}
          rowKey={(e) => e.name}
          columns={[
            { header: 'Name', cell: (e) => e.name },
            { header: 'Type', cell: (e) => e.type },
            { header: 'Description', cell: (e) => e.description },
            { header: 'Score', cell: (e) => e.score.toFixed(3) },
          ]}
        />
      )}
      <h3>Relations ({context.relations.length})</h3>
      {context.relations.length > 0 && (
        <Table
          rows={context.relations}
          rowKey={(r, i) => `${r.source}-${r.target}-${i}`}
          columns={[
            { header: 'Source', cell: (r) => r.source },
            { header: 'Target', cell: (r) => r.target },
            { header: 'Keywords', cell: (r) => r.keywords },
            { header: 'Description', cell: (r) => r.description },
            { header: 'Score', cell: (r) => r.score.toFixed(3) },
          ]}
        />
      )}
    </div>
  );
}

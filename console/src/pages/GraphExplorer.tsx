import { lazy, Suspense, useMemo, useState } from 'react';
import { useParams } from 'wouter';
import type { KnowledgeGraph } from '../api/workspace';
import { ErrorBanner } from '../components/ErrorBanner';
import { Field } from '../components/Field';
import { KbTabs } from '../components/KbTabs';
import { Pager } from '../components/Pager';
import { usePage } from '../lib/hooks';
import { useResource } from '../lib/useResource';
import { legendOf, toGraphology } from '../lib/graph';
import { query } from '../api/client';

// sigma.js (WebGL) and ForceAtlas2 load with this page only, in their own chunk.
const GraphCanvas = lazy(() => import('../components/GraphCanvas'));

export type Selection = { kind: 'node'; id: string } | { kind: 'edge'; id: string } | null;

/** A KB's knowledge graph: pick an entity (search or the label list), see its neighbourhood drawn, and its details on click or from the node list. */
export default function GraphExplorer() {
  const { tenantId, kbId } = useParams<{ tenantId: string; kbId: string }>();
  const base = `/tenants/${tenantId}/knowledge-bases/${kbId}/graph`;
  const labels = usePage<string>(`${base}/labels`);
  const [search, setSearch] = useState('');
  const [label, setLabel] = useState('*');
  const [depth, setDepth] = useState(2);
  const sub = useResource<KnowledgeGraph>(`${base}${query({ label, max_depth: depth, max_nodes: 300 })}`);
  const graph = useMemo(() => (sub.data ? toGraphology(sub.data) : null), [sub.data]);
  const [selected, setSelected] = useState<Selection>(null);
  const shown = labels.items.filter((l) => l.toLowerCase().includes(search.trim().toLowerCase()));

  const open = (l: string) => {
    setLabel(l);
    setSelected(null);
  };

  return (
    <section aria-labelledby="graph-title">
      <KbTabs tenantId={tenantId} kbId={kbId} />
      <h1 id="graph-title">Graph explorer</h1>
      <ErrorBanner error={labels.error ?? sub.error} />
      <div className="graph-layout">
        <aside className="card" aria-label="Entities">
          <form
            className="inline-form"
            role="search"
            onSubmit={(e) => {
              e.preventDefault();
              if (search.trim()) open(search.trim());
            }}
          >
            <Field label="Search entities" type="search" value={search} onChange={setSearch} hint="Filters this page of names; Enter opens the typed name." />
            <button type="submit">Open</button>
          </form>
          <div className="field">
            <label htmlFor="graph-depth">Depth</label>
            <select id="graph-depth" value={depth} onChange={(e) => setDepth(Number(e.target.value))}>
              {[1, 2, 3].map((d) => (
                <option key={d} value={d}>
                  {d} hop{d > 1 ? 's' : ''}
                </option>
              ))}
            </select>
          </div>
          <ul className="label-list" aria-label="Entity names">
            <li>
              <button type="button" className="link" onClick={() => open('*')} aria-pressed={label === '*'}>
                Best-connected entities
              </button>
            </li>
            {shown.map((l) => (
              <li key={l}>
                <button type="button" className="link" onClick={() => open(l)} aria-pressed={label === l}>
                  {l}
                </button>
              </li>
            ))}
          </ul>
          {labels.meta?.total === 0 && <p className="muted">No entities yet: add documents to this KB.</p>}
          <Pager meta={labels.meta} onOffset={labels.setOffset} label="Entity names" />
        </aside>
        <div className="graph-main">
          {!graph ? (
            <p role="status">Loading…</p>
          ) : graph.order === 0 ? (
            <p>{label === '*' ? 'The graph is empty.' : `No entity named “${label}”.`}</p>
          ) : (
            <>
              <p className="muted">
                {graph.order} entities, {graph.size} relations{sub.data?.is_truncated ? ' (truncated at 300 entities)' : ''} around{' '}
                <strong>{label === '*' ? 'the best-connected entities' : label}</strong>.
              </p>
              <ul className="legend" aria-label="Entity types">
                {legendOf(graph).map((l) => (
                  <li key={l.type}>
                    <svg width="12" height="12" aria-hidden="true">
                      <circle cx="6" cy="6" r="6" fill={l.color} />
                    </svg>{' '}
                    {l.type}
                  </li>
                ))}
              </ul>
              <Suspense fallback={<p role="status">Loading the graph view…</p>}>
                <GraphCanvas graph={graph} selected={selected} onSelect={setSelected} />
              </Suspense>
              <Details graph={graph} selected={selected} onSelect={setSelected} onOpen={open} />
              <details>
                <summary>Entities as a list ({graph.order})</summary>
                <ul className="node-list" aria-label="Entities in the view">
                  {graph.mapNodes((id, a) => (
                    <li key={id}>
                      <button type="button" className="link" aria-pressed={selected?.kind === 'node' && selected.id === id} onClick={() => setSelected({ kind: 'node', id })}>
                        {a.label}
                      </button>{' '}
                      <span className="muted">{a.entityType}</span>
                    </li>
                  ))}
                </ul>
              </details>
            </>
          )}
        </div>
      </div>
    </section>
  );
}

function Details({
  graph,
  selected,
  onSelect,
  onOpen,
}: {
  graph: ReturnType<typeof toGraphology>;
  selected: Selection;
  onSelect: (s: Selection) => void;
  onOpen: (label: string) => void;
}) {
  if (!selected) return <p className="muted">Click an entity or a relation (or pick one from the list below) to see its details.</p>;
  if (selected.kind === 'node' && graph.hasNode(selected.id)) {
    const a = graph.getNodeAttributes(selected.id);
    return (
      <div className="card wide" aria-label="Entity details" role="region">
        <h2>{a.label}</h2>
        <dl className="facts">
          <dt>Type</dt>
          <dd>{a.entityType}</dd>
          <dt>Description</dt>
          <dd>{a.description || '—'}</dd>
          <dt>Relations</dt>
          <dd>
            <ul>
              {graph.mapEdges(selected.id, (edge, e, source, target) => (
                <li key={edge}>
                  <button type="button" className="link" onClick={() => onSelect({ kind: 'edge', id: edge })}>
                    {source} → {target}
                  </button>{' '}
                  <span className="muted">{e.keywords}</span>
                </li>
              ))}
            </ul>
          </dd>
        </dl>
        <button type="button" onClick={() => onOpen(selected.id)}>
          Centre the view on {a.label}
        </button>
      </div>
    );
  }
  if (selected.kind === 'edge' && graph.hasEdge(selected.id)) {
    const e = graph.getEdgeAttributes(selected.id);
    return (
      <div className="card wide" aria-label="Relation details" role="region">
        <h2>
          {graph.source(selected.id)} → {graph.target(selected.id)}
        </h2>
        <dl className="facts">
          <dt>Keywords</dt>
          <dd>{e.keywords || '—'}</dd>
          <dt>Description</dt>
          <dd>{e.description || '—'}</dd>
          <dt>Weight</dt>
          <dd>{e.weight}</dd>
        </dl>
      </div>
    );
  }
  return null;
}

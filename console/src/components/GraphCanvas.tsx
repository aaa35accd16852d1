import { useEffect, useRef } from 'react';
import Sigma from 'sigma';
import forceAtlas2 from 'graphology-layout-forceatlas2';
import type { EdgeAttributes, NodeAttributes, StrataGraph } from '../lib/graph';
import type { Selection } from '../pages/GraphExplorer';

/**
 * The subgraph drawn by sigma.js (WebGL). ForceAtlas2 runs synchronously, a
 * bounded number of iterations, in the page (no Web Worker: the CSP allows no
 * blob: workers). Clicking a node or an edge selects it; the selected node and
 * its neighbours are highlighted. The canvas is hidden from screen readers:
 * the page lists the same entities as buttons.
 */
export default function GraphCanvas({ graph, selected, onSelect }: { graph: StrataGraph; selected: Selection; onSelect: (s: Selection) => void }) {
  const box = useRef<HTMLDivElement>(null);
  const sigma = useRef<Sigma<NodeAttributes, EdgeAttributes> | null>(null);
  const selectedRef = useRef<Selection>(selected);
  const onSelectRef = useRef(onSelect);
  useEffect(() => {
    onSelectRef.current = onSelect;
  });

  useEffect(() => {
    if (!box.current) return;
    if (graph.order > 1) forceAtlas2.assign(graph, { iterations: Math.min(300, 50 + graph.order), settings: forceAtlas2.inferSettings(graph) });
    const s = new Sigma(graph, box.current, {
      // Labels are drawn to the right of their node: room at the edges so the outermost ones are not cut off.
      stagePadding: Math.max(30, Math.min(160, Math.round(box.current.clientWidth * 0.18))),
      renderEdgeLabels: false,
      enableEdgeEvents: true,
      labelRenderedSizeThreshold: 6,
      nodeReducer: (node, data) => {
        const sel = selectedRef.current;
        if (sel?.kind !== 'node') return data;
        if (node === sel.id) return { ...data, highlighted: true };
        return graph.areNeighbors(node, sel.id) ? data : { ...data, color: '#d5dae1', label: '' };
      },
      edgeReducer: (edge, data) => {
        const sel = selectedRef.current;
        if (sel?.kind === 'edge') return edge === sel.id ? { ...data, color: '#0b5cad', size: (data.size ?? 1) + 2 } : data;
        if (sel?.kind !== 'node') return data;
        return graph.hasExtremity(edge, sel.id) ? { ...data, color: '#0b5cad' } : { ...data, hidden: true };
      },
    });
    s.on('clickNode', ({ node }) => onSelectRef.current({ kind: 'node', id: node }));
    s.on('clickEdge', ({ edge }) => onSelectRef.current({ kind: 'edge', id: edge }));
    s.on('clickStage', () => onSelectRef.current(null));
    s.on('enterNode', () => box.current?.classList.add('pointer'));
    s.on('leaveNode', () => box.current?.classList.remove('pointer'));
    sigma.current = s;
    return () => {
      s.kill();
      sigma.current = null;
    };
  }, [graph]);

  useEffect(() => {
    selectedRef.current = selected;
    sigma.current?.refresh();
  }, [selected]);

  return <div ref={box} className="graph-canvas" aria-hidden="true" data-testid="graph-canvas" />;
}

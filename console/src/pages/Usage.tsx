import { useEffect, useState } from 'react';
import { useParams } from 'wouter';
import { api, query } from '../api/client';
import type { ApiKey, KnowledgeBase } from '../api/types';
import type { UsageReport, UsageTotals } from '../api/workspace';
import { ErrorBanner } from '../components/ErrorBanner';
import { Table } from '../components/DataTable';
import { Field } from '../components/Field';
import { useResource } from '../lib/useResource';
import { dayBound } from '../lib/dates';
import { UsageChart } from '../components/UsageChart';
import { useCan } from '../session/useSession';

const firstOfMonth = () => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString().slice(0, 10);
};
const today = () => new Date().toISOString().slice(0, 10);

/** Names for ids, from a list route read once (up to 200 entries; others show their id). */
function useNames<T>(path: string | null, idOf: (t: T) => string, nameOf: (t: T) => string): Map<string, string> {
  const [names, setNames] = useState(new Map<string, string>());
  useEffect(() => {
    if (!path) return;
    const ctrl = new AbortController();
    api<T[]>('GET', `${path}?limit=200`, { signal: ctrl.signal }).then(
      (r) => setNames(new Map(r.data.map((t) => [idOf(t), nameOf(t)]))),
      () => undefined,
    );
    return () => ctrl.abort();
    // idOf / nameOf are fixed per call site.
  }, [path]);
  return names;
}

/** The tenant's model usage (usage:read): tokens and estimated cost per day (chart and table), per KB and per API key. */
export default function Usage() {
  const { tenantId } = useParams<{ tenantId: string }>();
  const can = useCan();
  const [since, setSince] = useState(firstOfMonth());
  const [until, setUntil] = useState(today());
  const [range, setRange] = useState({ since: firstOfMonth(), until: today() });
  const [rangeError, setRangeError] = useState<string | undefined>();
  const report = useResource<UsageReport>(`/tenants/${tenantId}/usage${query({ since: dayBound(range.since, false), until: dayBound(range.until, true) })}`);
  const kbNames = useNames<KnowledgeBase>(
    `/tenants/${tenantId}/knowledge-bases`,
    (k) => k.kb_id,
    (k) => k.kb_name,
  );
  const keyNames = useNames<ApiKey>(
    can('apikey:manage') ? `/tenants/${tenantId}/api-keys` : null,
    (k) => k.key_id,
    (k) => `${k.key_name} (${k.key_prefix}…)`,
  );
  const r = report.data;
  return (
    <section aria-labelledby="usage-title">
      <h1 id="usage-title">Usage</h1>
      <form
        className="inline-form"
        aria-label="Period"
        onSubmit={(e) => {
          e.preventDefault();
          if (!since || !until || since > until) {
            setRangeError('Pick a start day on or before the end day.');
            return;
          }
          setRangeError(undefined);
          setRange({ since, until });
        }}
      >
        <Field label="From" type="date" value={since} onChange={setSince} />
        <Field label="To (inclusive)" type="date" value={until} onChange={setUntil} error={rangeError} />
        <button type="submit">Show</button>
      </form>
      <ErrorBanner error={report.error} />
      {!r ? (
        !report.error && <p role="status">Loading…</p>
      ) : (
        <>
          <dl className="facts">
            <dt>Model calls</dt>
            <dd>{r.totals.calls.toLocaleString()}</dd>
            <dt>Tokens</dt>
            <dd>
              {r.totals.total_tokens.toLocaleString()} ({r.totals.input_tokens.toLocaleString()} in, {r.totals.output_tokens.toLocaleString()} out)
            </dd>
            <dt>Estimated cost</dt>
            <dd>{usd(r.totals.cost_usd)}</dd>
          </dl>
          {r.unpriced_models.length > 0 && <p className="muted">No price known for: {r.unpriced_models.join(', ')} (counted at $0).</p>}
          <h2>Per day</h2>
          {r.by_day.length === 0 ? (
            <p>No model usage in this period.</p>
          ) : (
            <UsageChart points={r.by_day.map((d) => ({ day: d.day.slice(0, 10), tokens: d.total_tokens, cost: d.cost_usd }))} />
          )}
          <TotalsTable caption="Per day" rows={r.by_day.map((d) => ({ key: d.day, name: d.day.slice(0, 10), t: d }))} first="Day" />
          <h2>Per knowledge base</h2>
          <TotalsTable
            caption="Per knowledge base"
            rows={r.by_kb.map((k) => ({ key: k.kb_id ?? 'none', name: k.kb_id ? (kbNames.get(k.kb_id) ?? k.kb_id) : 'no knowledge base', t: k }))}
            first="Knowledge base"
          />
          <h2>Per API key</h2>
          <TotalsTable
            caption="Per API key"
            rows={r.by_api_key.map((k) => ({
              key: k.api_key_id ?? 'none',
              name: k.api_key_id ? (keyNames.get(k.api_key_id) ?? k.api_key_id) : 'no key (signed-in users, ingestion)',
              t: k,
            }))}
            first="API key"
          />
        </>
      )}
    </section>
  );
}

const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;

function TotalsTable({ caption, rows, first }: { caption: string; rows: Array<{ key: string; name: string; t: UsageTotals }>; first: string }) {
  if (rows.length === 0) return <p className="muted">Nothing in this period.</p>;
  return (
    <Table
      caption={caption}
      rows={rows}
      rowKey={(r) => r.key}
      columns={[
        { header: first, cell: (r) => r.name },
        { header: 'Calls', cell: (r) => r.t.calls.toLocaleString() },
        { header: 'Input tokens', cell: (r) => r.t.input_tokens.toLocaleString() },
        { header: 'Output tokens', cell: (r) => r.t.output_tokens.toLocaleString() },
        { header: 'Total tokens', cell: (r) => r.t.total_tokens.toLocaleString() },
        { header: 'Cost', cell: (r) => usd(r.t.cost_usd) },
      ]}
    />
  );
}

import { useState } from 'react';
import { useParams } from 'wouter';
import { api } from '../api/client';
import type { AuditEntry, ChainVerification } from '../api/workspace';
import { ErrorBanner } from '../components/ErrorBanner';
import { Field } from '../components/Field';
import { DataTable } from '../components/DataTable';
import { useAction, usePage } from '../lib/hooks';
import { dayBound } from '../lib/dates';
import { when } from '../lib/format';
import { hasErrors, maxLength, pattern, validate, type Errors } from '../lib/validate';

type FilterKey = 'action' | 'actor' | 'since' | 'until';
const EMPTY: Record<FilterKey, string> = { action: '', actor: '', since: '', until: '' };

/** The tenant's audit log (audit:read): filters, paging, and verification of the tenant's own hash chain. */
export default function AuditLog() {
  const { tenantId } = useParams<{ tenantId: string }>();
  const [draft, setDraft] = useState(EMPTY);
  const [applied, setApplied] = useState(EMPTY);
  const [errors, setErrors] = useState<Errors<FilterKey>>({});
  const page = usePage<AuditEntry>(`/tenants/${tenantId}/audit-logs`, {
    action: applied.action || undefined,
    actor: applied.actor || undefined,
    since: dayBound(applied.since, false),
    until: dayBound(applied.until, true),
  });
  const action = useAction();
  const [verdict, setVerdict] = useState<ChainVerification | null>(null);

  return (
    <section aria-labelledby="audit-title">
      <div className="page-head">
        <h1 id="audit-title">Audit log</h1>
        <button
          type="button"
          disabled={action.busy}
          onClick={async () => {
            setVerdict(null);
            const r = await action.run(() => api<ChainVerification>('GET', `/tenants/${tenantId}/audit-logs/verify`));
            if (r) setVerdict(r.data);
          }}
        >
          {action.busy ? 'Verifying…' : 'Verify chain'}
        </button>
      </div>
      <ErrorBanner error={action.error ?? page.error} />
      {verdict && <Verdict v={verdict} />}
      <form
        className="card wide"
        aria-label="Filter the audit log"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const found = validate(draft, {
            action: [maxLength('Action', 100), pattern(/^[a-z0-9_.]+$/, 'Action looks like kb.create (lower-case letters, digits, dots).')],
            actor: [maxLength('Actor', 200)],
          });
          if (draft.since && draft.until && draft.since > draft.until) found.until = 'Until must not be before since.';
          setErrors(found);
          if (!hasErrors(found)) {
            setApplied(draft);
            page.setOffset(0);
          }
        }}
      >
        <div className="grid">
          <Field label="Action" value={draft.action} onChange={(v) => setDraft({ ...draft, action: v })} error={errors.action} hint="e.g. document.delete" />
          <Field label="Actor" value={draft.actor} onChange={(v) => setDraft({ ...draft, actor: v })} error={errors.actor} hint="user:<id>, api_key:<id>, admin:<id>" />
          <Field label="Since" type="date" value={draft.since} onChange={(v) => setDraft({ ...draft, since: v })} />
          <Field label="Until (inclusive)" type="date" value={draft.until} onChange={(v) => setDraft({ ...draft, until: v })} error={errors.until} />
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(EMPTY);
              setApplied(EMPTY);
              setErrors({});
              page.setOffset(0);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <DataTable
        page={page}
        label="Audit entries"
        empty="No entries match."
        rowKey={(e) => e.id}
        columns={[
          { header: 'When', cell: (e) => when(e.created_at) },
          { header: 'Action', cell: (e) => <code>{e.action}</code> },
          { header: 'Actor', cell: (e) => e.actor, className: 'mono' },
          { header: 'Resource', cell: (e) => e.resource_id ?? '—', className: 'mono' },
          {
            header: 'Outcome',
            cell: (e) => (
              <>
                <span className={`badge outcome-${e.outcome}`}>{e.outcome}</span> {e.http_status ?? ''}
              </>
            ),
          },
          { header: 'Request id', cell: (e) => e.request_id ?? '—', className: 'mono' },
        ]}
      />
    </section>
  );
}

function Verdict({ v }: { v: ChainVerification }) {
  if (v.valid)
    return (
      <div className="banner banner-ok" role="status">
        <p>
          <strong>Chain valid:</strong> {v.checked} entries checked{v.starts_at_seq && v.starts_at_seq !== '1' ? ` (from seq ${v.starts_at_seq}, after a retention cut)` : ''}.
        </p>
        {v.head_hash && (
          <p className="muted">
            Head: seq {v.head_seq}, hash <code>{v.head_hash}</code>. Keep it outside Strata to detect later truncation.
          </p>
        )}
      </div>
    );
  return (
    <div className="banner banner-error" role="alert">
      <p>
        <strong>Chain broken</strong> at entry <code>{v.first_broken_id}</code> (seq {v.first_broken_seq}) after {v.checked} good entries: {v.reason}
      </p>
    </div>
  );
}

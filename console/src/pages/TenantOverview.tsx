import { useState } from 'react';
import { useLocation, useParams } from 'wouter';
import { api } from '../api/client';
import { TIERS, type Tenant, type TenantLimits, type Tier } from '../api/types';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorBanner, Notice } from '../components/ErrorBanner';
import { Field, Select } from '../components/Field';
import { FormActions, FormCard } from '../components/FormCard';
import { NameDescriptionForm } from '../components/NameDescriptionForm';
import { useAction } from '../lib/hooks';
import { useResource } from '../lib/useResource';
import { when } from '../lib/format';
import { hasErrors, integerIn, numberAtLeast, validate, type Errors, type Rule } from '../lib/validate';
import { useCan, useSession } from '../session/useSession';

/** A tenant's details; its owner may rename it; the platform admin also suspends, resumes, sets tier and limits, deletes. */
export default function TenantOverview() {
  const { tenantId } = useParams<{ tenantId: string }>();
  const tenant = useResource<Tenant>(`/tenants/${tenantId}`);
  const isAdmin = useSession()?.claims.kind === 'admin';
  const can = useCan();
  const action = useAction();
  const [, navigate] = useLocation();
  const [editing, setEditing] = useState<'name' | 'limits' | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const t = tenant.data;
  if (tenant.error) return <ErrorBanner error={tenant.error} />;
  if (!t) return <p role="status">Loading…</p>;

  const patch = async (body: Record<string, unknown>, done: string) => {
    const r = await action.run(() => api<Tenant>('PATCH', `/tenants/${tenantId}`, { body }));
    if (r) {
      tenant.setData(r.data);
      setEditing(null);
      setNotice(done);
    }
  };

  return (
    <section aria-labelledby="tenant-title">
      <div className="page-head">
        <h1 id="tenant-title">{t.tenant_name}</h1>
        {!t.is_active && <span className="badge warn">suspended</span>}
      </div>
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={action.error} />
      <dl className="facts">
        <dt>Slug</dt>
        <dd>
          <code>{t.slug}</code>
        </dd>
        <dt>Tenant ID</dt>
        <dd>
          <code>{t.tenant_id}</code>
        </dd>
        <dt>Description</dt>
        <dd>{t.description || '—'}</dd>
        <dt>Tier</dt>
        <dd>{t.tier}</dd>
        <dt>Status</dt>
        <dd>{t.is_active ? 'active' : 'suspended'}</dd>
        <dt>Limits</dt>
        <dd>
          {Object.keys(t.limits ?? {}).length
            ? Object.entries(t.limits)
                .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`)
                .join(', ')
            : 'server defaults'}
        </dd>
        <dt>Created</dt>
        <dd>{when(t.created_at)}</dd>
      </dl>
      <div className="actions">
        {can('tenant:write') && editing !== 'name' && (
          <button type="button" onClick={() => setEditing('name')}>
            Edit name and description
          </button>
        )}
        {isAdmin && editing !== 'limits' && (
          <button type="button" onClick={() => setEditing('limits')}>
            Tier and limits
          </button>
        )}
        {isAdmin && (
          <button
            type="button"
            disabled={action.busy}
            onClick={() => patch({ is_active: !t.is_active }, t.is_active ? 'Tenant suspended: its users and keys are refused until it is resumed.' : 'Tenant resumed.')}
          >
            {t.is_active ? 'Suspend tenant' : 'Resume tenant'}
          </button>
        )}
        {isAdmin && (
          <button type="button" className="danger" onClick={() => setDeleting(true)}>
            Delete tenant
          </button>
        )}
      </div>
      {editing === 'name' && <EditTenant tenant={t} busy={action.busy} onCancel={() => setEditing(null)} onSave={(body) => patch(body, 'Tenant updated.')} />}
      {editing === 'limits' && <EditLimits tenant={t} busy={action.busy} onCancel={() => setEditing(null)} onSave={(body) => patch(body, 'Tier and limits saved.')} />}
      <ConfirmAction
        item={deleting ? t : null}
        action={action}
        title={(x) => `Delete tenant ${x.tenant_name}?`}
        actionLabel="Delete tenant"
        confirmText={(x) => x.slug}
        request={() => api('DELETE', `/tenants/${tenantId}`)}
        onClose={() => setDeleting(false)}
        onDone={() => navigate('/tenants')}
      >
        <p>Its users and API keys stop working at once. The data are kept for the retention period, then purged.</p>
      </ConfirmAction>
    </section>
  );
}

function EditTenant({ tenant, busy, onCancel, onSave }: { tenant: Tenant; busy: boolean; onCancel: () => void; onSave: (b: Record<string, unknown>) => void }) {
  return (
    <NameDescriptionForm
      title="Edit tenant"
      name={tenant.tenant_name}
      description={tenant.description ?? ''}
      busy={busy}
      onCancel={onCancel}
      onSave={(v) => onSave({ tenant_name: v.name, description: v.description })}
    />
  );
}

const LIMITS: Array<{ key: keyof TenantLimits; label: string; rule: Rule; integer: boolean }> = [
  { key: 'max_documents', label: 'Max documents', rule: integerIn('Max documents', 1), integer: true },
  { key: 'max_storage_gb', label: 'Max storage (GB)', rule: numberAtLeast('Max storage (GB)', 0), integer: false },
  { key: 'max_kb', label: 'Max knowledge bases', rule: integerIn('Max knowledge bases', 1), integer: true },
  { key: 'queries_per_minute', label: 'Queries per minute', rule: integerIn('Queries per minute', 1), integer: true },
  { key: 'documents_per_hour', label: 'Documents per hour', rule: integerIn('Documents per hour', 1), integer: true },
  { key: 'monthly_token_limit', label: 'Monthly token limit', rule: integerIn('Monthly token limit', 0), integer: true },
  { key: 'monthly_cost_limit_usd', label: 'Monthly cost limit (USD)', rule: numberAtLeast('Monthly cost limit (USD)', 0), integer: false },
];

/** The admin's tier and per-tenant limits; an empty field means the server-wide default. */
export function EditLimits({ tenant, busy, onCancel, onSave }: { tenant: Tenant; busy: boolean; onCancel: () => void; onSave: (b: Record<string, unknown>) => void }) {
  const [tier, setTier] = useState<Tier>(tenant.tier);
  const [values, setValues] = useState<Record<string, string>>(
    Object.fromEntries(LIMITS.map((l) => [l.key, tenant.limits?.[l.key] === undefined ? '' : String(tenant.limits[l.key])])),
  );
  const [errors, setErrors] = useState<Errors<string>>({});
  return (
    <FormCard
      title="Tier and limits"
      onSubmit={() => {
        const found = validate(values, Object.fromEntries(LIMITS.map((l) => [l.key, [l.rule]])));
        setErrors(found);
        if (hasErrors(found)) return;
        const limits = Object.fromEntries(LIMITS.filter((l) => values[l.key].trim()).map((l) => [l.key, Number(values[l.key])]));
        onSave({ tier, limits });
      }}
    >
      <Select label="Tier" value={tier} options={TIERS} onChange={setTier} hint="Scales the server-wide rate limits." />
      <p className="muted">Leave a limit empty to use the server-wide default.</p>
      <div className="grid">
        {LIMITS.map((l) => (
          <Field
            key={l.key}
            label={l.label}
            value={values[l.key]}
            onChange={(v) => setValues({ ...values, [l.key]: v })}
            error={errors[l.key]}
            inputMode={l.integer ? 'numeric' : 'decimal'}
          />
        ))}
      </div>
      <FormActions submitLabel="Save tier and limits" busy={busy} onCancel={onCancel} />
    </FormCard>
  );
}

import { useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client';
import { TIERS, type Tenant, type Tier } from '../api/types';
import { ErrorBanner, Notice } from '../components/ErrorBanner';
import { Field, Select } from '../components/Field';
import { DataTable } from '../components/DataTable';
import { FormActions, FormCard } from '../components/FormCard';
import { usePage, useAction } from '../lib/hooks';
import { when } from '../lib/format';
import { hasErrors, rules, validate, type Errors } from '../lib/validate';

/** Platform admin: every tenant, searchable and paged; create one. */
export default function Tenants() {
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  const page = usePage<Tenant>('/tenants', { search: applied });
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Tenant | null>(null);
  return (
    <section aria-labelledby="tenants-title">
      <div className="page-head">
        <h1 id="tenants-title">Tenants</h1>
        {!creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New tenant
          </button>
        )}
      </div>
      {created && (
        <Notice>
          Tenant <Link href={`/tenants/${created.tenant_id}`}>{created.tenant_name}</Link> created.
        </Notice>
      )}
      {creating && (
        <CreateTenant
          onDone={(t) => {
            setCreating(false);
            if (t) {
              setCreated(t);
              page.reload();
            }
          }}
        />
      )}
      <form
        role="search"
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          page.setOffset(0);
          setApplied(search.trim());
        }}
      >
        <Field label="Search tenants" type="search" value={search} onChange={setSearch} hint="Name or slug" />
        <button type="submit">Search</button>
      </form>
      <ErrorBanner error={page.error} />
      <DataTable
        page={page}
        label="Tenants"
        empty={applied ? `No tenant matches “${applied}”.` : 'No tenants yet.'}
        rowKey={(t) => t.tenant_id}
        columns={[
          { header: 'Name', cell: (t) => <Link href={`/tenants/${t.tenant_id}`}>{t.tenant_name}</Link> },
          { header: 'Slug', cell: (t) => <code>{t.slug}</code> },
          { header: 'Tier', cell: (t) => t.tier },
          { header: 'Status', cell: (t) => (t.is_active ? 'active' : <span className="badge warn">suspended</span>) },
          { header: 'Created', cell: (t) => when(t.created_at) },
        ]}
      />
    </section>
  );
}

type K = 'name' | 'slug' | 'description';

export function CreateTenant({ onDone }: { onDone: (t: Tenant | null) => void }) {
  const [values, setValues] = useState<Record<K, string>>({ name: '', slug: '', description: '' });
  const [tier, setTier] = useState<Tier>('standard');
  const [errors, setErrors] = useState<Errors<K>>({});
  const action = useAction();
  const set = (k: K) => (v: string) => setValues({ ...values, [k]: v });
  const submit = async () => {
    const found = validate(values, { name: rules.displayName('Name'), slug: rules.slug, description: rules.description });
    setErrors(found);
    if (hasErrors(found)) return;
    const r = await action.run(() =>
      api<Tenant>('POST', '/tenants', {
        body: { tenant_name: values.name.trim(), tier, ...(values.slug ? { slug: values.slug } : {}), ...(values.description ? { description: values.description } : {}) },
      }),
    );
    if (r) onDone(r.data);
  };
  return (
    <FormCard title="New tenant" onSubmit={submit}>
      <ErrorBanner error={action.error} />
      <Field label="Name" value={values.name} onChange={set('name')} error={errors.name} required autoFocus />
      <Field label="Slug" value={values.slug} onChange={set('slug')} error={errors.slug} hint="Optional; derived from the name when empty." />
      <Field label="Description" value={values.description} onChange={set('description')} error={errors.description} />
      <Select label="Tier" value={tier} options={TIERS} onChange={setTier} />
      <FormActions submitLabel="Create tenant" busy={action.busy} onCancel={() => onDone(null)} />
    </FormCard>
  );
}

import { useState } from 'react';
import { useParams } from 'wouter';
import { api } from '../api/client';
import type { User } from '../api/types';
import { ErrorBanner, Notice } from '../components/ErrorBanner';
import { Field, Select } from '../components/Field';
import { DataTable } from '../components/DataTable';
import { FormActions, FormCard } from '../components/FormCard';
import { useAction, usePage } from '../lib/hooks';
import { when } from '../lib/format';
import { hasErrors, rules, validate, type Errors } from '../lib/validate';
import { ROLES, type Role } from '../session/permissions';
import { useCan } from '../session/useSession';

/** A tenant's users (user:manage): invite with a role, change a role, disable or enable. */
export default function Users() {
  const { tenantId } = useParams<{ tenantId: string }>();
  const base = `/tenants/${tenantId}/users`;
  const page = usePage<User>(base);
  const can = useCan();
  const action = useAction();
  const [inviting, setInviting] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  if (!can('user:manage')) return <p>Managing users needs the user:manage permission (the tenant owner’s).</p>;

  const patch = async (u: User, body: Partial<User>, done: string) => {
    const r = await action.run(() => api<User>('PATCH', `${base}/${u.user_id}`, { body }));
    if (r) {
      setNotice(done);
      page.reload();
    }
  };

  return (
    <section aria-labelledby="users-title">
      <div className="page-head">
        <h1 id="users-title">Users</h1>
        {!inviting && (
          <button type="button" className="primary" onClick={() => setInviting(true)}>
            Invite user
          </button>
        )}
      </div>
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={action.error ?? page.error} />
      {inviting && (
        <InviteUser
          busy={action.busy}
          onCancel={() => setInviting(false)}
          onSave={async (body) => {
            const r = await action.run(() => api<User>('POST', base, { body }));
            if (r) {
              setInviting(false);
              setNotice(`User ${r.data.username} created as ${r.data.role}. Give them their password; they sign in at this console.`);
              page.reload();
            }
          }}
        />
      )}
      <DataTable
        page={page}
        label="Users"
        empty="No users yet."
        rowKey={(u) => u.user_id}
        columns={[
          { header: 'Username', cell: (u) => u.username },
          {
            header: 'Role',
            cell: (u) => (
              <>
                <label className="visually-hidden" htmlFor={`role-${u.user_id}`}>
                  Role of {u.username}
                </label>
                <select
                  id={`role-${u.user_id}`}
                  value={u.role}
                  disabled={action.busy}
                  onChange={(e) => patch(u, { role: e.target.value as Role }, `${u.username} is now ${e.target.value}.`)}
                >
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              </>
            ),
          },
          { header: 'Status', cell: (u) => (u.is_active ? 'active' : <span className="badge warn">disabled</span>) },
          { header: 'Created', cell: (u) => when(u.created_at) },
          {
            header: 'Actions',
            className: 'row-actions',
            cell: (u) => (
              <button
                type="button"
                disabled={action.busy}
                aria-label={`${u.is_active ? 'Disable' : 'Enable'} ${u.username}`}
                onClick={() => patch(u, { is_active: !u.is_active }, `${u.username} ${u.is_active ? 'disabled: their sessions stop working' : 'enabled'}.`)}
              >
                {u.is_active ? 'Disable' : 'Enable'}
              </button>
            ),
          },
        ]}
      />
    </section>
  );
}

type K = 'username' | 'password';

export function InviteUser({ busy, onCancel, onSave }: { busy: boolean; onCancel: () => void; onSave: (b: { username: string; password: string; role: Role }) => void }) {
  const [values, setValues] = useState<Record<K, string>>({ username: '', password: '' });
  const [role, setRole] = useState<Role>('member');
  const [errors, setErrors] = useState<Errors<K>>({});
  return (
    <FormCard
      title="Invite user"
      onSubmit={() => {
        const found = validate(values, { username: rules.username, password: rules.password });
        setErrors(found);
        if (!hasErrors(found)) onSave({ username: values.username.trim(), password: values.password, role });
      }}
    >
      <Field label="Username" value={values.username} onChange={(v) => setValues({ ...values, username: v })} error={errors.username} required autoFocus autoComplete="off" />
      <Field
        label="Initial password"
        type="password"
        value={values.password}
        onChange={(v) => setValues({ ...values, password: v })}
        error={errors.password}
        hint="At least 8 characters."
        required
        autoComplete="new-password"
      />
      <Select
        label="Role"
        value={role}
        options={ROLES}
        onChange={setRole}
        hint="owner: everything; member: documents and queries, no keys or users; viewer: read and query only."
      />
      <FormActions submitLabel="Create user" busy={busy} onCancel={onCancel} />
    </FormCard>
  );
}

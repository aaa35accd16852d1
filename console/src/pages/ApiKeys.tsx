import { useEffect, useId, useRef, useState } from 'react';
import { useParams } from 'wouter';
import { api } from '../api/client';
import type { ApiKey, CreatedApiKey, KnowledgeBase } from '../api/types';
import { ConfirmAction } from '../components/ConfirmAction';
import { DataTable } from '../components/DataTable';
import { ErrorBanner, Notice } from '../components/ErrorBanner';
import { Field } from '../components/Field';
import { FormActions, FormCard } from '../components/FormCard';
import { useAction, usePage } from '../lib/hooks';
import { when } from '../lib/format';
import { futureDate, hasErrors, maxLength, required, validate } from '../lib/validate';
import { PERMISSIONS, type Permission } from '../session/permissions';
import { useCan, useSession } from '../session/useSession';

/** A tenant's API keys (apikey:manage): create one scoped to KBs and permissions, see its secret once, revoke. */
export default function ApiKeys() {
  const { tenantId } = useParams<{ tenantId: string }>();
  const base = `/tenants/${tenantId}/api-keys`;
  const page = usePage<ApiKey>(base);
  const can = useCan();
  const action = useAction();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // The KBs a new key may be scoped to: the first 200 (the API's largest page).
  const kbs = usePage<KnowledgeBase>(`/tenants/${tenantId}/knowledge-bases`, {}, 200);
  if (!can('apikey:manage')) return <p>Managing API keys needs the apikey:manage permission (the tenant owner’s).</p>;
  const kbName = (id: string) => (id === '*' ? 'all knowledge bases' : (kbs.items.find((k) => k.kb_id === id)?.kb_name ?? id));

  return (
    <section aria-labelledby="keys-title">
      <div className="page-head">
        <h1 id="keys-title">API keys</h1>
        {!creating && !created && (
          <button type="button" className="primary" onClick={() => (setCreating(true), setNotice(null))}>
            New API key
          </button>
        )}
      </div>
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={action.error ?? page.error} />
      {created && <ShowKeyOnce created={created} onDone={() => setCreated(null)} />}
      {creating && (
        <CreateKey
          kbs={kbs.items}
          busy={action.busy}
          onCancel={() => setCreating(false)}
          onSave={async (body) => {
            const r = await action.run(() => api<CreatedApiKey>('POST', base, { body }));
            if (r) {
              setCreating(false);
              setCreated(r.data);
              page.reload();
            }
          }}
        />
      )}
      <DataTable
        page={page}
        label="API keys"
        empty="No API keys yet."
        rowKey={(k) => k.key_id}
        columns={[
          { header: 'Name', cell: (k) => k.key_name },
          { header: 'Prefix', cell: (k) => <code>{k.key_prefix}…</code> },
          { header: 'Knowledge bases', cell: (k) => k.knowledge_base_ids.map(kbName).join(', ') },
          { header: 'Permissions', cell: (k) => k.permissions.join(' '), className: 'perms' },
          { header: 'Expires', cell: (k) => when(k.expires_at) },
          { header: 'Last used', cell: (k) => when(k.last_used_at) },
          {
            header: 'Status',
            cell: (k) => (k.revoked_at ? <span className="badge warn">revoked</span> : k.expires_at && new Date(k.expires_at) < new Date() ? 'expired' : 'active'),
          },
          {
            header: 'Actions',
            className: 'row-actions',
            cell: (k) =>
              !k.revoked_at && (
                <button type="button" className="danger" aria-label={`Revoke ${k.key_name}`} onClick={() => setRevoking(k)}>
                  Revoke
                </button>
              ),
          },
        ]}
      />
      <ConfirmAction
        item={revoking}
        action={action}
        title={(k) => `Revoke API key ${k.key_name}?`}
        actionLabel="Revoke key"
        request={(k) => api('DELETE', `${base}/${k.key_id}`)}
        onClose={() => setRevoking(null)}
        onDone={(k) => {
          setNotice(`API key “${k.key_name}” revoked: it is refused from now on.`);
          page.reload();
        }}
      >
        <p>Every client using this key is refused from now on. This cannot be undone.</p>
      </ConfirmAction>
    </section>
  );
}

/** The raw key, once: a read-only field, a Copy button and the warning. */
export function ShowKeyOnce({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  useEffect(() => input.current?.select(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied('Copied to the clipboard.');
    } catch {
      input.current?.select();
      setCopied('The browser did not allow copying: the key is selected, copy it with Ctrl+C (⌘C).');
    }
  };
  return (
    <div className="card key-once" role="region" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>API key “{created.key_name}” created</h2>
      <p className="banner banner-warn">
        <strong>Copy this key now. You will not see it again:</strong> Strata keeps only a hash of it.
      </p>
      <div className="field">
        <label htmlFor={id}>Your new API key</label>
        <input id={id} ref={input} readOnly value={created.key} className="mono" onFocus={(e) => e.target.select()} />
      </div>
      <div className="actions">
        <button type="button" className="primary" onClick={copy}>
          Copy key
        </button>
        <button type="button" onClick={onDone}>
          I have stored it
        </button>
      </div>
      {copied && <p role="status">{copied}</p>}
    </div>
  );
}

export interface KeyBody {
  key_name: string;
  knowledge_base_ids: string[];
  permissions: Permission[];
  expires_at?: string;
}

/** Name, KB scope ("all" or chosen KBs), permissions (only those the signed-in user holds) and an optional expiry date. */
export function CreateKey({ kbs, busy, onCancel, onSave }: { kbs: KnowledgeBase[]; busy: boolean; onCancel: () => void; onSave: (b: KeyBody) => void }) {
  const held = useSession()?.permissions;
  const grantable = PERMISSIONS.filter((p) => held?.has(p));
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [allKbs, setAllKbs] = useState(true);
  const [chosenKbs, setChosenKbs] = useState<string[]>([]);
  const [perms, setPerms] = useState<Permission[]>(['kb:read', 'document:read', 'query:run'].filter((p) => held?.has(p as Permission)) as Permission[]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const toggle = <T,>(list: T[], v: T) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const scopeId = useId();
  const permsId = useId();

  return (
    <FormCard
      title="New API key"
      onSubmit={() => {
        const found: Record<string, string> = validate({ name, expires }, { name: [required('Name'), maxLength('Name', 200)], expires: [futureDate('Expiry date')] });
        if (!allKbs && chosenKbs.length === 0) found.kbs = 'Choose at least one knowledge base, or all of them.';
        if (perms.length === 0) found.perms = 'Choose at least one permission.';
        setErrors(found);
        if (hasErrors(found)) return;
        onSave({
          key_name: name.trim(),
          knowledge_base_ids: allKbs ? ['*'] : chosenKbs,
          permissions: PERMISSIONS.filter((p) => perms.includes(p)),
          ...(expires ? { expires_at: `${expires}T23:59:59Z` } : {}),
        });
      }}
    >
      <Field label="Name" value={name} onChange={setName} error={errors.name} required autoFocus hint="What uses it, e.g. support-bot." />
      <fieldset aria-describedby={errors.kbs ? `${scopeId}-e` : undefined}>
        <legend>Knowledge bases</legend>
        <label>
          <input type="radio" name={scopeId} checked={allKbs} onChange={() => setAllKbs(true)} /> All knowledge bases, present and future
        </label>
        <label>
          <input type="radio" name={scopeId} checked={!allKbs} onChange={() => setAllKbs(false)} /> Only these:
        </label>
        {!allKbs && (
          <div className="checks">
            {kbs.length === 0 && <p className="muted">This tenant has no knowledge base yet.</p>}
            {kbs.map((kb) => (
              <label key={kb.kb_id}>
                <input type="checkbox" checked={chosenKbs.includes(kb.kb_id)} onChange={() => setChosenKbs(toggle(chosenKbs, kb.kb_id))} /> {kb.kb_name}
              </label>
            ))}
          </div>
        )}
        {errors.kbs && (
          <small id={`${scopeId}-e`} className="field-error">
            {errors.kbs}
          </small>
        )}
      </fieldset>
      <fieldset aria-describedby={errors.perms ? `${permsId}-e` : undefined}>
        <legend>Permissions</legend>
        <div className="checks">
          {grantable.map((p) => (
            <label key={p}>
              <input type="checkbox" checked={perms.includes(p)} onChange={() => setPerms(toggle(perms, p))} /> {p}
            </label>
          ))}
        </div>
        {errors.perms && (
          <small id={`${permsId}-e`} className="field-error">
            {errors.perms}
          </small>
        )}
      </fieldset>
      <Field label="Expiry date" type="date" value={expires} onChange={setExpires} error={errors.expires} hint="Optional. The key stops working at the end of that day (UTC)." />
      <FormActions submitLabel="Create key" busy={busy} onCancel={onCancel} />
    </FormCard>
  );
}

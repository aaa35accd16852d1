import { useState } from 'react';
import { Link, useParams } from 'wouter';
import { api } from '../api/client';
import type { KbConfig, KnowledgeBase } from '../api/types';
import { ConfirmAction } from '../components/ConfirmAction';
import { DataTable } from '../components/DataTable';
import { ErrorBanner, Notice } from '../components/ErrorBanner';
import { Field, Select } from '../components/Field';
import { KB_PAGES, kbHref } from '../components/KbTabs';
import { FormActions, FormCard } from '../components/FormCard';
import { NameDescriptionForm } from '../components/NameDescriptionForm';
import { useAction, usePage } from '../lib/hooks';
import { when } from '../lib/format';
import { hasErrors, integerIn, validate, type Errors } from '../lib/validate';
import { useCan } from '../session/useSession';

type Editing = { kind: 'create' } | { kind: 'rename' | 'config'; kb: KnowledgeBase } | null;

/** A tenant's knowledge bases: create, rename, configure and delete them (each control only with its permission). */
export default function KnowledgeBases() {
  const { tenantId } = useParams<{ tenantId: string }>();
  const base = `/tenants/${tenantId}/knowledge-bases`;
  const page = usePage<KnowledgeBase>(base);
  const can = useCan();
  const action = useAction();
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<KnowledgeBase | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const save = async (method: 'POST' | 'PATCH', path: string, body: Record<string, unknown>, done: string) => {
    const r = await action.run(() => api<KnowledgeBase>(method, path, { body }));
    if (r) {
      setEditing(null);
      setNotice(done);
      page.reload();
    }
  };

  return (
    <section aria-labelledby="kb-title">
      <div className="page-head">
        <h1 id="kb-title">Knowledge bases</h1>
        {can('kb:write') && editing?.kind !== 'create' && (
          <button type="button" className="primary" onClick={() => setEditing({ kind: 'create' })}>
            New knowledge base
          </button>
        )}
      </div>
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={action.error ?? page.error} />
      {editing?.kind === 'create' && (
        <KbForm title="New knowledge base" busy={action.busy} onCancel={() => setEditing(null)} onSave={(b) => save('POST', base, b, `Knowledge base “${b.kb_name}” created.`)} />
      )}
      {editing?.kind === 'rename' && (
        <KbForm
          title={`Rename ${editing.kb.kb_name}`}
          kb={editing.kb}
          busy={action.busy}
          onCancel={() => setEditing(null)}
          onSave={(b) => save('PATCH', `${base}/${editing.kb.kb_id}`, b, 'Knowledge base renamed.')}
        />
      )}
      {editing?.kind === 'config' && (
        <KbConfigForm
          kb={editing.kb}
          busy={action.busy}
          onCancel={() => setEditing(null)}
          onSave={(config) => save('PATCH', `${base}/${editing.kb.kb_id}`, { config }, 'Configuration saved.')}
        />
      )}
      <DataTable
        page={page}
        label="Knowledge bases"
        empty="No knowledge bases yet."
        rowKey={(kb) => kb.kb_id}
        columns={[
          { header: 'Name', cell: (kb) => <Link href={kbHref(tenantId, kb.kb_id, KB_PAGES.find((p) => can(p.permission))?.path ?? 'documents')}>{kb.kb_name}</Link> },
          { header: 'Description', cell: (kb) => kb.description || '—' },
          { header: 'Created', cell: (kb) => when(kb.created_at) },
          (can('kb:write') || can('kb:delete')) && {
            header: 'Actions',
            className: 'row-actions',
            cell: (kb) => (
              <>
                {can('kb:write') && (
                  <>
                    <button type="button" aria-label={`Rename ${kb.kb_name}`} onClick={() => setEditing({ kind: 'rename', kb })}>
                      Rename
                    </button>
                    <button type="button" aria-label={`Configure ${kb.kb_name}`} onClick={() => setEditing({ kind: 'config', kb })}>
                      Config
                    </button>
                  </>
                )}
                {can('kb:delete') && (
                  <button type="button" className="danger" aria-label={`Delete ${kb.kb_name}`} onClick={() => setDeleting(kb)}>
                    Delete
                  </button>
                )}
              </>
            ),
          },
        ]}
      />
      <ConfirmAction
        item={deleting}
        action={action}
        title={(kb) => `Delete knowledge base ${kb.kb_name}?`}
        actionLabel="Delete knowledge base"
        request={(kb) => api('DELETE', `${base}/${kb.kb_id}`)}
        onClose={() => setDeleting(null)}
        onDone={(kb) => {
          setNotice(`Knowledge base “${kb.kb_name}” deleted.`);
          page.reload();
        }}
      >
        <p>Its documents, chunks and graph are removed. This cannot be undone.</p>
      </ConfirmAction>
    </section>
  );
}

/** Create (no `kb`) or rename a KB; a new KB's empty description is left out of the body, a renamed one's is sent. */
function KbForm(props: { title: string; kb?: KnowledgeBase; busy: boolean; onCancel: () => void; onSave: (b: { kb_name: string; description?: string }) => void }) {
  return (
    <NameDescriptionForm
      title={props.title}
      name={props.kb?.kb_name ?? ''}
      description={props.kb?.description ?? ''}
      busy={props.busy}
      onCancel={props.onCancel}
      onSave={(v) => props.onSave({ kb_name: v.name, ...(v.description || props.kb ? { description: v.description } : {}) })}
    />
  );
}

const MODES = ['mix', 'naive', 'local', 'global', 'hybrid', 'bypass'] as const;
const NUMBERS: Array<{ key: 'chunk_token_size' | 'chunk_overlap_token_size' | 'top_k' | 'chunk_top_k'; label: string; min: number; max: number }> = [
  { key: 'chunk_token_size', label: 'Chunk size (tokens)', min: 50, max: 8000 },
  { key: 'chunk_overlap_token_size', label: 'Chunk overlap (tokens)', min: 0, max: 2000 },
  { key: 'top_k', label: 'Top k (entities, relations)', min: 1, max: 200 },
  { key: 'chunk_top_k', label: 'Chunk top k', min: 1, max: 200 },
];

/** The KB's config (knowledge-bases.dto.ts KbConfigDto): empty numbers keep their current value. */
export function KbConfigForm(props: { kb: KnowledgeBase; busy: boolean; onCancel: () => void; onSave: (c: KbConfig) => void }) {
  const cfg = props.kb.config ?? {};
  const [values, setValues] = useState<Record<string, string>>(Object.fromEntries(NUMBERS.map((n) => [n.key, cfg[n.key] === undefined ? '' : String(cfg[n.key])])));
  const [mode, setMode] = useState<(typeof MODES)[number]>((MODES as readonly string[]).includes(cfg.default_mode ?? '') ? (cfg.default_mode as (typeof MODES)[number]) : 'mix');
  const [rerank, setRerank] = useState(cfg.enable_rerank !== false);
  const [errors, setErrors] = useState<Errors<string>>({});
  return (
    <FormCard
      title={`Configure ${props.kb.kb_name}`}
      onSubmit={() => {
        const found = validate(values, Object.fromEntries(NUMBERS.map((n) => [n.key, [integerIn(n.label, n.min, n.max)]])));
        setErrors(found);
        if (hasErrors(found)) return;
        const numbers = Object.fromEntries(NUMBERS.filter((n) => values[n.key].trim()).map((n) => [n.key, Number(values[n.key])]));
        props.onSave({ ...numbers, default_mode: mode, enable_rerank: rerank });
      }}
    >
      <div className="grid">
        {NUMBERS.map((n) => (
          <Field
            key={n.key}
            label={n.label}
            value={values[n.key]}
            onChange={(v) => setValues({ ...values, [n.key]: v })}
            error={errors[n.key]}
            hint={`${n.min}–${n.max}; empty keeps the default`}
            inputMode="numeric"
          />
        ))}
      </div>
      <Select label="Default query mode" value={mode} options={MODES} onChange={setMode} />
      <div className="field checkbox">
        <label>
          <input type="checkbox" checked={rerank} onChange={(e) => setRerank(e.target.checked)} /> Re-rank retrieved chunks (BM25)
        </label>
      </div>
      <FormActions submitLabel="Save configuration" busy={props.busy} onCancel={props.onCancel} />
    </FormCard>
  );
}

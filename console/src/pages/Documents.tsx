import { useEffect, useId, useReducer, useRef, useState } from 'react';
import { useParams } from 'wouter';
import { api } from '../api/client';
import { DOCUMENT_STATUSES, type DocumentAccepted, type StrataDocument } from '../api/workspace';
import { ConfirmAction } from '../components/ConfirmAction';
import { DataTable } from '../components/DataTable';
import { ErrorBanner, Notice } from '../components/ErrorBanner';
import { Field, Select } from '../components/Field';
import { KbTabs } from '../components/KbTabs';
import { FormActions, FormCard } from '../components/FormCard';
import { useAction, usePage } from '../lib/hooks';
import { when } from '../lib/format';
import { needsPolling, usePolling } from '../lib/polling';
import { nextToStart, percent, uploadFile, uploadReducer, type UploadItem } from '../lib/upload';
import { useCan } from '../session/useSession';

const FILTERS = ['all', ...DOCUMENT_STATUSES] as const;
type Filter = (typeof FILTERS)[number];
const ACCEPT = '.txt,.md,.markdown,.html,.htm,.pdf,.docx,.csv,.json';

/** A KB's documents: upload files (drag and drop or picker, a progress bar each) or paste text; statuses refresh by themselves while any is in flight. */
export default function Documents() {
  const { tenantId, kbId } = useParams<{ tenantId: string; kbId: string }>();
  const base = `/tenants/${tenantId}/knowledge-bases/${kbId}/documents`;
  const [filter, setFilter] = useState<Filter>('all');
  const page = usePage<StrataDocument>(base, { status: filter === 'all' ? undefined : filter });
  const can = useCan();
  const action = useAction();
  const [deleting, setDeleting] = useState<StrataDocument | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const polling = needsPolling(page.items);
  usePolling(polling, page.reload);

  return (
    <section aria-labelledby="docs-title">
      <KbTabs tenantId={tenantId} kbId={kbId} />
      <div className="page-head">
        <h1 id="docs-title">Documents</h1>
      </div>
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={action.error ?? page.error} />
      {can('document:write') && (
        <div className="two-up">
          <Uploader path={`${base}/add`} onUploaded={page.reload} />
          <PasteText
            busy={action.busy}
            onAdd={async (text, source) => {
              const r = await action.run(() => api<DocumentAccepted>('POST', `${base}/text`, { body: { text, ...(source ? { file_source: source } : {}) } }));
              if (r) {
                setNotice(`Text added as “${source || 'text'}”: it is being indexed.`);
                page.reload();
              }
              return Boolean(r);
            }}
          />
        </div>
      )}
      <div className="toolbar">
        <Select label="Status" value={filter} options={FILTERS} onChange={(v) => (setFilter(v), page.setOffset(0))} />
        <p className="muted" role="status">
          {polling ? 'Indexing in progress: statuses refresh every 2 seconds.' : ''}
        </p>
      </div>
      <DataTable
        page={page}
        label="Documents"
        empty={filter === 'all' ? 'No documents yet.' : `No ${filter} documents.`}
        rowKey={(d) => d.document_id}
        columns={[
          {
            header: 'File',
            cell: (d) => (
              <>
                {d.file_path}
                {d.status === 'failed' && d.error && <div className="field-error">{d.error}</div>}
              </>
            ),
          },
          { header: 'Status', cell: (d) => <StatusBadge status={d.status} /> },
          { header: 'Chunks', cell: (d) => d.chunks_count },
          { header: 'Size', cell: (d) => bytes(d.size_bytes) },
          { header: 'Added', cell: (d) => when(d.created_at) },
          can('document:delete') && {
            header: 'Actions',
            className: 'row-actions',
            cell: (d) => (
              <button type="button" className="danger" aria-label={`Delete ${d.file_path}`} onClick={() => setDeleting(d)}>
                Delete
              </button>
            ),
          },
        ]}
      />
      <ConfirmAction
        item={deleting}
        action={action}
        title={(d) => `Delete ${d.file_path}?`}
        actionLabel="Delete document"
        request={(d) => api('DELETE', `${base}/${d.document_id}`)}
        onClose={() => setDeleting(null)}
        onDone={(d) => {
          setNotice(`“${d.file_path}” deleted.`);
          page.reload();
        }}
      >
        <p>Its chunks and the graph facts only it supported are removed. This cannot be undone.</p>
      </ConfirmAction>
    </section>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Drop zone and file picker; each file is sent on its own request with a progress bar. */
function Uploader({ path, onUploaded }: { path: string; onUploaded: () => void }) {
  const [items, dispatch] = useReducer(uploadReducer, [] as UploadItem[]);
  const files = useRef(new Map<number, File>());
  const started = useRef(new Set<number>());
  const nextId = useRef(1);
  const [over, setOver] = useState(false);
  const inputId = useId();
  const add = (list: FileList | null) => {
    if (!list || list.length === 0) return;
    const arr = [...list];
    const firstId = nextId.current;
    arr.forEach((f, i) => files.current.set(firstId + i, f));
    nextId.current += arr.length;
    dispatch({ type: 'add', files: arr.map((f) => ({ name: f.name, size: f.size })), firstId });
  };
  useEffect(() => {
    for (const item of nextToStart(items)) {
      if (started.current.has(item.id)) continue;
      started.current.add(item.id);
      const file = files.current.get(item.id)!;
      dispatch({ type: 'start', id: item.id });
      uploadFile(path, file, (loaded) => dispatch({ type: 'progress', id: item.id, loaded }))
        .promise.then(
          (doc) => {
            dispatch({ type: 'done', id: item.id, documentId: doc.document_id });
            onUploaded();
          },
          (error) => dispatch({ type: 'failed', id: item.id, error }),
        )
        .finally(() => files.current.delete(item.id));
    }
  }, [items, path, onUploaded]);
  const finished = items.some((i) => i.state === 'done' || i.state === 'failed');
  return (
    <div className="card">
      <h2>Upload files</h2>
      <div
        className={over ? 'dropzone over' : 'dropzone'}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          add(e.dataTransfer.files);
        }}
      >
        <p>Drop files here (txt, md, html, pdf, docx, csv, json), or</p>
        <label htmlFor={inputId} className="button-like">
          Choose files
        </label>
        <input
          id={inputId}
          className="visually-hidden"
          type="file"
          multiple
          accept={ACCEPT}
          onChange={(e) => {
            add(e.target.files);
            e.target.value = '';
          }}
        />
      </div>
      {items.length > 0 && (
        <ul className="uploads" aria-label="Uploads">
          {items.map((i) => (
            <li key={i.id}>
              <span className="upload-name">{i.name}</span>
              <progress max={100} value={percent(i)} aria-label={`Upload of ${i.name}`} />
              <span className="muted">{i.state === 'uploading' ? `${percent(i)} %` : i.state === 'done' ? 'uploaded' : i.state === 'failed' ? 'failed' : 'waiting'}</span>
              {i.error && <ErrorBanner error={i.error} />}
            </li>
          ))}
        </ul>
      )}
      {finished && (
        <button type="button" className="link" onClick={() => dispatch({ type: 'clear' })}>
          Clear finished uploads
        </button>
      )}
    </div>
  );
}

function PasteText({ busy, onAdd }: { busy: boolean; onAdd: (text: string, source: string) => Promise<boolean> }) {
  const [text, setText] = useState('');
  const [source, setSource] = useState('');
  const [error, setError] = useState<string | undefined>();
  const id = useId();
  return (
    <FormCard
      title="Paste text"
      onSubmit={async () => {
        if (!text.trim()) {
          setError('Text is required.');
          return;
        }
        if (source.length > 1000) {
          setError(undefined);
          return;
        }
        setError(undefined);
        if (await onAdd(text, source.trim())) {
          setText('');
          setSource('');
        }
      }}
    >
      <div className="field">
        <label htmlFor={`${id}-text`}>Text</label>
        <textarea
          id={`${id}-text`}
          rows={5}
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
        />
        {error && (
          <small id={`${id}-error`} className="field-error">
            {error}
          </small>
        )}
      </div>
      <Field
        label="Name (shown in references)"
        value={source}
        onChange={setSource}
        hint="Optional, e.g. notes.md"
        error={source.length > 1000 ? 'At most 1000 characters.' : undefined}
      />
      <FormActions submitLabel="Add text" busy={busy} />
    </FormCard>
  );
}

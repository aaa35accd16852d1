import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { api } from '../src/api/client';
import { ConfirmAction } from '../src/components/ConfirmAction';
import { DataTable, Table, type PageState } from '../src/components/DataTable';
import { ErrorBanner, Notice } from '../src/components/ErrorBanner';
import { FormActions, FormCard } from '../src/components/FormCard';
import { NameDescriptionForm } from '../src/components/NameDescriptionForm';
import { useAction, usePage } from '../src/lib/hooks';
import { sessionStore } from '../src/session/session';
import { scriptFetch, signInAs, userOf } from './helpers';

afterEach(() => sessionStore.signOut());

interface Row {
  id: string;
  name: string;
}
const columns = [
  { header: 'Name', cell: (r: Row) => r.name },
  { header: 'Id', cell: (r: Row) => <code>{r.id}</code>, className: 'mono' },
];
const state = (over: Partial<PageState<Row>>): PageState<Row> => ({ items: [], meta: undefined, loading: false, setOffset: () => undefined, ...over });

describe('DataTable', () => {
  it('says Loading… (role=status) until the first page arrives, with no table', () => {
    render(<DataTable page={state({ loading: true })} label="Things" empty="No things yet." columns={columns} rowKey={(r) => r.id} />);
    expect(screen.getByRole('status').textContent).toBe('Loading…');
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.queryByText('No things yet.')).toBeNull();
  });

  it('shows the empty text when the page has no rows', () => {
    render(<DataTable page={state({})} label="Things" empty="No things yet." columns={columns} rowKey={(r) => r.id} />);
    expect(screen.getByText('No things yet.').tagName).toBe('P');
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('renders a captioned table with scope=col headers, a row per item, cell classes, and leaves out `false` columns', () => {
    const items = [
      { id: 'a1', name: 'Alpha' },
      { id: 'b2', name: 'Beta' },
    ];
    const { container } = render(
      <DataTable page={state({ items, loading: true })} label="Things" empty="No things yet." columns={[...columns, false, false]} rowKey={(r) => r.id} />,
    );
    // A reload with rows already shown keeps the table (no "Loading…" flash).
    expect(screen.queryByRole('status')).toBeNull();
    const table = screen.getByRole('table', { name: 'Things' });
    expect(container.querySelector('.table-wrap > table')).toBe(table);
    expect(table.querySelector('caption')?.className).toBe('visually-hidden');
    const headers = within(table).getAllByRole('columnheader');
    expect(headers.map((h) => [h.textContent, h.getAttribute('scope')])).toEqual([
      ['Name', 'col'],
      ['Id', 'col'],
    ]);
    const rows = within(table).getAllByRole('row').slice(1);
    expect(
      rows.map((r) =>
        within(r)
          .getAllByRole('cell')
          .map((c) => c.textContent),
      ),
    ).toEqual([
      ['Alpha', 'a1'],
      ['Beta', 'b2'],
    ]);
    expect(within(rows[0]).getAllByRole('cell')[0].hasAttribute('class')).toBe(false);
    expect(within(rows[0]).getAllByRole('cell')[1].className).toBe('mono');
  });

  it('adds the Pager, labelled like the caption, when there is more than one page, and pages through setOffset', () => {
    const setOffset = jest.fn();
    const items = [{ id: 'a1', name: 'Alpha' }];
    const { rerender } = render(
      <DataTable page={state({ items, meta: { total: 45, limit: 20, offset: 20 }, setOffset })} label="Things" empty="-" columns={columns} rowKey={(r) => r.id} />,
    );
    const pager = screen.getByRole('navigation', { name: 'Things pages' });
    expect(within(pager).getByText('21–40 of 45')).toBeTruthy();
    fireEvent.click(within(pager).getByRole('button', { name: 'Next' }));
    expect(setOffset).toHaveBeenCalledWith(40);
    rerender(<DataTable page={state({ items, meta: { total: 1, limit: 20, offset: 0 } })} label="Things" empty="-" columns={columns} rowKey={(r) => r.id} />);
    expect(screen.queryByRole('navigation')).toBeNull();
  });

  it('Table alone has no caption unless given one', () => {
    const { container } = render(<Table rows={[{ id: 'a1', name: 'Alpha' }]} columns={columns} rowKey={(r, i) => `${r.id}-${i}`} />);
    expect(container.querySelector('caption')).toBeNull();
    expect(screen.getByRole('cell', { name: 'Alpha' })).toBeTruthy();
  });
});

/** A list page in miniature: the page's banner and notice, the table with a Delete button a row, and ConfirmAction. */
function Things({ confirmText }: { confirmText?: boolean }) {
  const page = usePage<Row>('/things');
  const action = useAction();
  const [deleting, setDeleting] = useState<Row | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <>
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={action.error ?? page.error} />
      <DataTable
        page={page}
        label="Things"
        empty="No things yet."
        rowKey={(r) => r.id}
        columns={[
          { header: 'Name', cell: (r) => r.name },
          {
            header: 'Actions',
            cell: (r) => (
              <button type="button" onClick={() => setDeleting(r)}>
                Delete {r.name}
              </button>
            ),
          },
        ]}
      />
      <ConfirmAction
        item={deleting}
        action={action}
        title={(r) => `Delete ${r.name}?`}
        actionLabel="Delete thing"
        confirmText={confirmText ? (r) => r.id : undefined}
        request={(r) => api('DELETE', `/things/${r.id}`)}
        onClose={() => setDeleting(null)}
        onDone={(r) => {
          setNotice(`${r.name} deleted.`);
          page.reload();
        }}
      >
        <p>This cannot be undone.</p>
      </ConfirmAction>
    </>
  );
}

describe('ConfirmAction', () => {
  const list = (gone: Set<string>) => (c: { method: string; url: string }) =>
    c.method === 'GET' && c.url.startsWith('/api/v1/things?')
      ? {
          body: {
            status: 'success',
            data: [
              { id: 'a1', name: 'Alpha' },
              { id: 'b2', name: 'Beta' },
            ].filter((r) => !gone.has(r.id)),
            meta: { total: 2 - gone.size, limit: 20, offset: 0 },
          },
        }
      : undefined;

  it('asks first; Cancel sends nothing; confirming sends the request, closes the dialog, calls onDone and the list reloads', async () => {
    signInAs(userOf('owner'));
    const gone = new Set<string>();
    const calls = scriptFetch((c) => (c.method === 'DELETE' ? (gone.add('a1'), { body: { status: 'success', data: null } }) : undefined), list(gone));
    render(<Things />);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete Alpha' }));
    let dialog = screen.getByRole('dialog', { name: 'Delete Alpha?' });
    expect(within(dialog).getByText('This cannot be undone.')).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);

    fireEvent.click(screen.getByRole('button', { name: 'Delete Alpha' }));
    dialog = screen.getByRole('dialog', { name: 'Delete Alpha?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete thing' }));
    expect((await screen.findByRole('status')).textContent).toBe('Alpha deleted.');
    expect(screen.queryByRole('dialog')).toBeNull();
    await waitFor(() => expect(screen.queryByRole('cell', { name: 'Alpha' })).toBeNull());
    expect(screen.getByRole('cell', { name: 'Beta' })).toBeTruthy();
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['GET /api/v1/things?limit=20&offset=0', 'DELETE /api/v1/things/a1', 'GET /api/v1/things?limit=20&offset=0']);
  });

  it('a failed request keeps the dialog open with its error and request id inside it; nothing is reloaded; trying again can succeed, Cancel closes it', async () => {
    signInAs(userOf('owner'));
    const gone = new Set<string>();
    let refuse = true;
    const calls = scriptFetch(
      (c) =>
        c.method !== 'DELETE'
          ? undefined
          : refuse
            ? { status: 409, body: { status: 'error', error: { code: 'CONFLICT', message: 'Alpha is still in use.', request_id: 'req-409' } } }
            : (gone.add('a1'), { body: { status: 'success', data: null } }),
      list(gone),
    );
    render(<Things />);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete Alpha' }));
    let dialog = screen.getByRole('dialog', { name: 'Delete Alpha?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete thing' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toContain('Alpha is still in use.');
    expect(alert.textContent).toContain('req-409');
    // One alert, in the dialog: the page's banner behind it stays empty.
    expect(screen.getAllByRole('alert')).toHaveLength(1);
    expect(screen.queryByRole('status')).toBeNull();
    expect(screen.getByRole('cell', { name: 'Alpha' })).toBeTruthy();
    expect(calls.filter((c) => c.method === 'GET')).toHaveLength(1);
    // Cancel closes it; opened again, it starts without the old error.
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Delete Alpha' }));
    dialog = screen.getByRole('dialog', { name: 'Delete Alpha?' });
    expect(within(dialog).queryByRole('alert')).toBeNull();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete thing' }));
    await within(dialog).findByRole('alert');
    // Trying again once the conflict is gone: the dialog closes, onDone runs, the list reloads.
    refuse = false;
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete thing' }));
    expect((await screen.findByRole('status')).textContent).toBe('Alpha deleted.');
    expect(screen.queryByRole('dialog')).toBeNull();
    await waitFor(() => expect(screen.queryByRole('cell', { name: 'Alpha' })).toBeNull());
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(3);
  });

  it('with confirmText, the action stays disabled until that text is typed', async () => {
    signInAs(userOf('owner'));
    const calls = scriptFetch((c) => (c.method === 'DELETE' ? { body: { status: 'success', data: null } } : undefined), list(new Set()));
    render(<Things confirmText />);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete Beta' }));
    const dialog = screen.getByRole('dialog');
    const confirm = within(dialog).getByRole('button', { name: 'Delete thing' });
    expect(confirm.hasAttribute('disabled')).toBe(true);
    fireEvent.change(within(dialog).getByLabelText(/Type .* to confirm/), { target: { value: 'b2' } });
    expect(confirm.hasAttribute('disabled')).toBe(false);
    fireEvent.click(confirm);
    expect((await screen.findByRole('status')).textContent).toBe('Beta deleted.');
    expect(calls.some((c) => c.method === 'DELETE' && c.url === '/api/v1/things/b2')).toBe(true);
  });
});

describe('FormCard, FormActions and NameDescriptionForm', () => {
  it('FormCard is a form named by its title, with that heading; submitting calls onSubmit with the default prevented', () => {
    const onSubmit = jest.fn();
    render(
      <FormCard title="New thing" onSubmit={onSubmit}>
        <FormActions submitLabel="Create thing" />
      </FormCard>,
    );
    const form = screen.getByRole('form', { name: 'New thing' });
    expect(form.className).toBe('card');
    expect(form.hasAttribute('novalidate')).toBe(true);
    expect(within(form).getByRole('heading', { level: 2, name: 'New thing' })).toBeTruthy();
    expect(within(form).queryByRole('button', { name: 'Cancel' })).toBeNull();
    const submit = new Event('submit', { bubbles: true, cancelable: true });
    form.dispatchEvent(submit);
    expect(onSubmit).toHaveBeenCalledTimes(1);
    expect(submit.defaultPrevented).toBe(true);
  });

  it('FormActions: Cancel only with onCancel; the primary submit button is disabled while busy', () => {
    const onCancel = jest.fn();
    render(<FormActions submitLabel="Save" busy onCancel={onCancel} />);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onCancel).toHaveBeenCalled();
    const save = screen.getByRole('button', { name: 'Save' });
    expect(save.getAttribute('type')).toBe('submit');
    expect(save.className).toBe('primary');
    expect(save.hasAttribute('disabled')).toBe(true);
  });

  it('NameDescriptionForm: the name is required; onSave gets it trimmed, with the description', () => {
    const onSave = jest.fn();
    render(<NameDescriptionForm title="Edit thing" name="" description="old" busy={false} onCancel={() => undefined} onSave={onSave} />);
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByText('Name is required.')).toBeTruthy();
    expect(screen.getByLabelText(/^Name/).getAttribute('aria-invalid')).toBe('true');
    expect(onSave).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: '  Thing  ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(onSave).toHaveBeenCalledWith({ name: 'Thing', description: 'old' });
  });
});

import type { ReactNode } from 'react';
import type { PageMeta } from '../api/client';
import { Pager } from './Pager';

/** What DataTable reads from usePage: the rows, the paging meta, whether a load is running, and how to change page. */
export interface PageState<T> {
  items: T[];
  meta: PageMeta | undefined;
  loading: boolean;
  setOffset: (offset: number) => void;
}

/** One column: its header (also its React key), the cell for a row, and an optional class on that cell. */
export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  className?: string;
}

/**
 * The table markup every list shares: a scrolling wrapper, an optional caption for screen readers, scope=col headers,
 * one row per item. A column given as `false` is left out (e.g. an Actions column the user has no permission for).
 */
export function Table<T>({ rows, columns, rowKey, caption }: { rows: T[]; columns: Array<Column<T> | false>; rowKey: (row: T, index: number) => string; caption?: string }) {
  const shown = columns.filter((c): c is Column<T> => c !== false);
  return (
    <div className="table-wrap">
      <table>
        {caption !== undefined && <caption className="visually-hidden">{caption}</caption>}
        <thead>
          <tr>
            {shown.map((c) => (
              <th scope="col" key={c.header}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={rowKey(row, i)}>
              {shown.map((c) => (
                <td key={c.header} className={c.className}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A list page's table: "Loading…" (role=status) until the first page arrives, the empty text when there are no rows,
 * else the Table, captioned with `label`; then the Pager, labelled with `label` too.
 */
export function DataTable<T>({
  page,
  label,
  empty,
  columns,
  rowKey,
}: {
  page: PageState<T>;
  label: string;
  empty: ReactNode;
  columns: Array<Column<T> | false>;
  rowKey: (row: T) => string;
}) {
  return (
    <>
      {page.loading && !page.items.length ? (
        <p role="status">Loading…</p>
      ) : page.items.length === 0 ? (
        <p>{empty}</p>
      ) : (
        <Table rows={page.items} columns={columns} rowKey={rowKey} caption={label} />
      )}
      <Pager meta={page.meta} onOffset={page.setOffset} label={label} />
    </>
  );
}

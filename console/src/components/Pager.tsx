import type { PageMeta } from '../api/client';

/** "21–40 of 57" with Previous / Next; hidden when everything fits on one page. */
export function Pager({ meta, onOffset, label }: { meta: PageMeta | undefined; onOffset: (offset: number) => void; label: string }) {
  if (!meta || meta.total <= meta.limit) return null;
  const first = meta.total === 0 ? 0 : meta.offset + 1;
  const last = Math.min(meta.offset + meta.limit, meta.total);
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" disabled={meta.offset === 0} onClick={() => onOffset(Math.max(0, meta.offset - meta.limit))}>
        Previous
      </button>
      <span aria-live="polite">
        {first}–{last} of {meta.total}
      </span>
      <button type="button" disabled={last >= meta.total} onClick={() => onOffset(meta.offset + meta.limit)}>
        Next
      </button>
    </nav>
  );
}

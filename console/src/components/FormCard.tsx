import type { ReactNode } from 'react';

/** A form shown as a card: its title is both its accessible name (aria-label) and its heading; the browser's own validation is off (noValidate), ours runs in `onSubmit`. */
export function FormCard({ title, onSubmit, children }: { title: string; onSubmit: () => void; children: ReactNode }) {
  return (
    <form
      className="card"
      aria-label={title}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <h2>{title}</h2>
      {children}
    </form>
  );
}

/** A form's buttons: Cancel (when `onCancel` is given) and the primary submit button, disabled while `busy`. */
export function FormActions({ submitLabel, busy, onCancel }: { submitLabel: string; busy?: boolean; onCancel?: () => void }) {
  return (
    <div className="actions">
      {onCancel && (
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {submitLabel}
      </button>
    </div>
  );
}

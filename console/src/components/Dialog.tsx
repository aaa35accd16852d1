import { useEffect, useId, useRef, useState } from 'react';

/**
 * A modal dialog: focus moves into it, Escape or Cancel closes it, Tab stays inside.
 * `confirmText` makes the user type that text before the action is enabled (tenant deletion).
 */
export function ConfirmDialog(props: {
  title: string;
  children: React.ReactNode;
  actionLabel: string;
  confirmText?: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { title, children, actionLabel, confirmText, busy, onConfirm, onCancel } = props;
  const [typed, setTyped] = useState('');
  const ref = useRef<HTMLDivElement>(null);
  const id = useId();
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    ref.current?.querySelector<HTMLElement>('input, button')?.focus();
    return () => before?.focus?.();
  }, []);
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onCancel();
    }
    if (e.key === 'Tab' && ref.current) {
      const items = [...ref.current.querySelectorAll<HTMLElement>('input, button:not([disabled])')];
      if (items.length === 0) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  };
  const ok = confirmText === undefined || typed === confirmText;
  return (
    <div className="backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby={`${id}-title`} ref={ref} onKeyDown={onKeyDown}>
        <h2 id={`${id}-title`}>{title}</h2>
        <div>{children}</div>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (ok && !busy) onConfirm();
          }}
        >
          {confirmText !== undefined && (
            <div className="field">
              <label htmlFor={`${id}-confirm`}>
                Type <code>{confirmText}</code> to confirm
              </label>
              <input id={`${id}-confirm`} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
            </div>
          )}
          <div className="actions">
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
            <button type="submit" className="danger" disabled={!ok || busy}>
              {actionLabel}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}

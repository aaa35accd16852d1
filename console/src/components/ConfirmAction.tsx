import { useEffect, useState, type ReactNode } from 'react';
import type { useAction } from '../lib/hooks';
import { ConfirmDialog } from './Dialog';
import { ErrorBanner } from './ErrorBanner';

/**
 * "Confirm, then act" on one item (revoke a key, delete a KB, a document, a tenant): while `item` is set, a ConfirmDialog
 * asks; confirming runs `request` under the page's `action` (its busy state). On success the dialog closes and `onDone`
 * is called; on failure the dialog stays open with the error and its request id inside it, so the person can try again
 * or cancel (the page behind the dialog is not touched).
 */
export function ConfirmAction<T>({
  item,
  action,
  title,
  actionLabel,
  confirmText,
  request,
  onDone,
  onClose,
  children,
}: {
  item: T | null;
  action: Pick<ReturnType<typeof useAction>, 'busy' | 'run'>;
  title: (item: T) => string;
  actionLabel: string;
  /** Text the user must type before the action is enabled (tenant deletion). */
  confirmText?: (item: T) => string;
  request: (item: T) => Promise<unknown>;
  onDone: (item: T) => void;
  onClose: () => void;
  children: ReactNode;
}) {
  const [failure, setFailure] = useState<unknown>(null);
  useEffect(() => setFailure(null), [item]);
  if (item === null) return null;
  return (
    <ConfirmDialog
      title={title(item)}
      actionLabel={actionLabel}
      confirmText={confirmText?.(item)}
      busy={action.busy}
      onCancel={onClose}
      onConfirm={async () => {
        setFailure(null);
        const ok = await action.run(async () => {
          try {
            await request(item);
            return true;
          } catch (e) {
            setFailure(e);
            return false;
          }
        });
        if (!ok) return;
        onClose();
        onDone(item);
      }}
    >
      {children}
      <ErrorBanner error={failure} />
    </ConfirmDialog>
  );
}

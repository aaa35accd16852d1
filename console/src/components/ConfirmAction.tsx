import type { ReactNode } from 'react';
import type { useAction } from '../lib/hooks';
import { ConfirmDialog } from './Dialog';

/**
 * "Confirm, then act" on one item (revoke a key, delete a KB, a document, a tenant): while `item` is set, a ConfirmDialog
 * asks; confirming runs `request` through the page's `action` (so its error and request id show in the page's banner),
 * then closes the dialog whatever the outcome, and calls `onDone` only when the request succeeded.
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
  if (item === null) return null;
  return (
    <ConfirmDialog
      title={title(item)}
      actionLabel={actionLabel}
      confirmText={confirmText?.(item)}
      busy={action.busy}
      onCancel={onClose}
      onConfirm={async () => {
        const ok = await action.run(async () => (await request(item), true));
        onClose();
        if (ok) onDone(item);
      }}
    >
      {children}
    </ConfirmDialog>
  );
}

import { ApiError } from '../api/client';

/** An API error as a person reads it: the message, the details per field, and the request id to quote to an operator. */
export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  const message = e ? e.message : error instanceof Error ? error.message : String(error);
  return (
    <div className="banner banner-error" role="alert">
      <p>
        <strong>
          {e
            ? e.code
                .replace(/_/g, ' ')
                .toLowerCase()
                .replace(/^./, (c) => c.toUpperCase())
            : 'Error'}
          :
        </strong>{' '}
        {message}
      </p>
      {e && e.details.length > 0 && (
        <ul>
          {e.details.map((d) => (
            <li key={d.field + d.message}>
              {d.field}: {d.message}
            </li>
          ))}
        </ul>
      )}
      {e?.requestId && (
        <p className="muted">
          Request id: <code>{e.requestId}</code>
        </p>
      )}
      {onDismiss && (
        <button type="button" className="link" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}

export function Notice({ children }: { children: React.ReactNode }) {
  return (
    <div className="banner banner-ok" role="status">
      {children}
    </div>
  );
}

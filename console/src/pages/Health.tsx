import { useCallback, useEffect, useState } from 'react';
import { errorFrom } from '../api/client';
import type { Readiness } from '../api/workspace';
import { ErrorBanner } from '../components/ErrorBanner';
import { when } from '../lib/format';

interface Probe<T> {
  ok: boolean;
  data?: T;
  error?: unknown;
}

/** GET /health or /health/ready (outside /api/v1, public): the envelope's data, or the error with its request id. */
async function probe<T>(path: string): Promise<Probe<T>> {
  try {
    const res = await fetch(path, { headers: { accept: 'application/json' } });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) return { ok: false, error: errorFrom(res.status, res.statusText, body, res.headers.get('x-request-id')) };
    return { ok: true, data: (body as { data: T }).data };
  } catch (e) {
    return { ok: false, error: e };
  }
}

/** The server's liveness and readiness (database, cross-replica invalidation, rate-limit counters), for the platform admin. */
export default function Health() {
  const [live, setLive] = useState<Probe<{ status: string }> | null>(null);
  const [ready, setReady] = useState<Probe<Readiness> | null>(null);
  const [at, setAt] = useState<string | null>(null);
  const check = useCallback(async () => {
    const [l, r] = await Promise.all([probe<{ status: string }>('/health'), probe<Readiness>('/health/ready')]);
    setLive(l);
    setReady(r);
    setAt(new Date().toISOString());
  }, []);
  useEffect(() => {
    void check();
  }, [check]);
  return (
    <section aria-labelledby="health-title">
      <div className="page-head">
        <h1 id="health-title">Server health</h1>
        <button type="button" onClick={() => void check()}>
          Check again
        </button>
      </div>
      {!live || !ready ? (
        <p role="status">Checking…</p>
      ) : (
        <>
          <dl className="facts">
            <dt>Liveness (/health)</dt>
            <dd>
              <span className={live.ok ? 'badge status-processed' : 'badge status-failed'}>{live.ok ? 'up' : 'down'}</span>
            </dd>
            <dt>Readiness (/health/ready)</dt>
            <dd>
              <span className={ready.ok ? 'badge status-processed' : 'badge status-failed'}>{ready.ok ? 'ready' : 'not ready'}</span>
            </dd>
            {ready.data && (
              <>
                <dt>Database</dt>
                <dd>{ready.data.database}</dd>
                <dt>Cache invalidation</dt>
                <dd>{ready.data.invalidation}</dd>
                <dt>Rate-limit counters</dt>
                <dd>{ready.data.rate_limits}</dd>
              </>
            )}
            <dt>Checked</dt>
            <dd>{when(at)}</dd>
          </dl>
          <ErrorBanner error={live.error ?? ready.error} />
        </>
      )}
    </section>
  );
}

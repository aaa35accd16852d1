import { useEffect, useRef } from 'react';
import type { DocumentStatus } from '../api/workspace';

/** Documents still moving through ingestion: the page polls while any is shown. */
export const IN_FLIGHT: readonly DocumentStatus[] = ['pending', 'processing'];

export function needsPolling(docs: ReadonlyArray<{ status: string }>): boolean {
  return docs.some((d) => (IN_FLIGHT as readonly string[]).includes(d.status));
}

export const POLL_MS = 2000;

/**
 * Calls `tick` every `ms` while `active` is true, and not at all otherwise
 * (no timer is left running once `active` turns false or the page unmounts).
 */
export function usePolling(active: boolean, tick: () => void, ms = POLL_MS): void {
  const latest = useRef(tick);
  useEffect(() => {
    latest.current = tick;
  });
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => latest.current(), ms);
    return () => clearInterval(t);
  }, [active, ms]);
}

import { Link, useLocation } from 'wouter';
import type { KnowledgeBase } from '../api/types';
import type { Permission } from '../session/permissions';
import { useResource } from '../lib/useResource';
import { useCan } from '../session/useSession';
import { ErrorBanner } from './ErrorBanner';

/** The KB workspace's pages, each listed only with its permission. */
export const KB_PAGES: ReadonlyArray<{ path: string; label: string; permission: Permission }> = [
  { path: 'documents', label: 'Documents', permission: 'document:read' },
  { path: 'playground', label: 'Query playground', permission: 'query:run' },
  { path: 'graph', label: 'Graph explorer', permission: 'graph:read' },
];

export const kbHref = (tenantId: string, kbId: string, page: string) => `/tenants/${tenantId}/knowledge-bases/${kbId}/${page}`;

/** The KB's name (back link to the list) and its workspace tabs; the page's h1 follows. */
export function KbTabs({ tenantId, kbId }: { tenantId: string; kbId: string }) {
  const kb = useResource<KnowledgeBase>(`/tenants/${tenantId}/knowledge-bases/${kbId}`);
  const can = useCan();
  const [location] = useLocation();
  return (
    <>
      <p className="crumbs">
        <Link href={`/tenants/${tenantId}/knowledge-bases`}>Knowledge bases</Link> › <strong>{kb.data?.kb_name ?? '…'}</strong>
      </p>
      <ErrorBanner error={kb.error} />
      <nav className="tabs" aria-label="Knowledge base">
        {KB_PAGES.filter((p) => can(p.permission)).map((p) => {
          const href = kbHref(tenantId, kbId, p.path);
          return (
            <Link key={p.path} href={href} aria-current={location === href ? 'page' : undefined}>
              {p.label}
            </Link>
          );
        })}
      </nav>
    </>
  );
}

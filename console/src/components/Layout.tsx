import { useState } from 'react';
import { Link, useLocation, useRoute } from 'wouter';
import { sessionStore } from '../session/session';
import { useSession } from '../session/useSession';
import { sectionHref, TENANT_SECTIONS } from '../nav';

/** Header with the signed-in identity and sign-out, the nav (a Menu button opens it on narrow screens), and the page. */
export function Layout({ children }: { children: React.ReactNode }) {
  const session = useSession()!;
  const [open, setOpen] = useState(false);
  const [location, navigate] = useLocation();
  const [inTenant, params] = useRoute<{ tenantId: string }>('/tenants/:tenantId/*?');
  const tenantId = inTenant ? params.tenantId : session.claims.tenant_id;
  const isAdmin = session.claims.kind === 'admin';
  const sections = TENANT_SECTIONS.filter((s) => session.permissions.has(s.permission));
  const close = () => setOpen(false);
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Strata console</span>
        <button type="button" className="menu-toggle" aria-expanded={open} aria-controls="primary-nav" onClick={() => setOpen(!open)}>
          Menu
        </button>
        <span className="who">
          {session.claims.username} <span className="badge">{isAdmin ? 'platform admin' : session.claims.role}</span>
        </span>
        <button
          type="button"
          onClick={() => {
            // The next person to sign in starts at their own home page, not at this one.
            navigate('/', { replace: true });
            sessionStore.signOut();
          }}
        >
          Sign out
        </button>
      </header>
      <div className="body">
        <nav id="primary-nav" aria-label="Main" className={open ? 'nav open' : 'nav'}>
          <ul>
            {isAdmin && (
              <li>
                <Link href="/tenants" onClick={close} aria-current={location === '/tenants' ? 'page' : undefined}>
                  Tenants
                </Link>
              </li>
            )}
            {isAdmin && (
              <li>
                <Link href="/health" onClick={close} aria-current={location === '/health' ? 'page' : undefined}>
                  Server health
                </Link>
              </li>
            )}
            {tenantId && (isAdmin ? inTenant : true) && (
              <li>
                {isAdmin && <span className="nav-heading">This tenant</span>}
                <ul>
                  {sections.map((s) => {
                    const href = sectionHref(tenantId, s.path);
                    return (
                      <li key={s.path}>
                        <Link href={href} onClick={close} aria-current={location === href ? 'page' : undefined}>
                          {s.label}
                        </Link>
                      </li>
                    );
                  })}
                </ul>
              </li>
            )}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}

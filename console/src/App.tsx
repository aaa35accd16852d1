import { lazy, Suspense } from 'react';
import { Redirect, Route, Router, Switch } from 'wouter';
import { Layout } from './components/Layout';
import { useSession } from './session/useSession';
import { SignIn } from './pages/SignIn';

// Every page but sign-in is its own chunk, loaded when first opened.
const Tenants = lazy(() => import('./pages/Tenants'));
const TenantOverview = lazy(() => import('./pages/TenantOverview'));
const KnowledgeBases = lazy(() => import('./pages/KnowledgeBases'));
const Users = lazy(() => import('./pages/Users'));
const ApiKeys = lazy(() => import('./pages/ApiKeys'));
const Documents = lazy(() => import('./pages/Documents'));
const Playground = lazy(() => import('./pages/Playground'));
const GraphExplorer = lazy(() => import('./pages/GraphExplorer'));
const AuditLog = lazy(() => import('./pages/AuditLog'));
const Usage = lazy(() => import('./pages/Usage'));
const Health = lazy(() => import('./pages/Health'));

/** Routes relative to /console. Signed out, every path shows the sign-in page (and returns to the path after). */
export function App({ base = '/console' }: { base?: string }) {
  return (
    <Router base={base}>
      <Routes />
    </Router>
  );
}

function Home() {
  const session = useSession()!;
  return <Redirect to={session.claims.kind === 'admin' ? '/tenants' : `/tenants/${session.claims.tenant_id}`} replace />;
}

export function Routes() {
  const session = useSession();
  if (!session) return <SignIn />;
  return (
    <Layout>
      <Suspense fallback={<p role="status">Loading…</p>}>
        <Switch>
          <Route path="/" component={Home} />
          <Route path="/sign-in" component={Home} />
          <Route path="/tenants">{session.claims.kind === 'admin' ? <Tenants /> : <Home />}</Route>
          <Route path="/tenants/:tenantId" component={TenantOverview} />
          <Route path="/tenants/:tenantId/knowledge-bases" component={KnowledgeBases} />
          <Route path="/tenants/:tenantId/users" component={Users} />
          <Route path="/tenants/:tenantId/api-keys" component={ApiKeys} />
          <Route path="/tenants/:tenantId/knowledge-bases/:kbId/documents" component={Documents} />
          <Route path="/tenants/:tenantId/knowledge-bases/:kbId/playground" component={Playground} />
          <Route path="/tenants/:tenantId/knowledge-bases/:kbId/graph" component={GraphExplorer} />
          <Route path="/tenants/:tenantId/audit-logs" component={AuditLog} />
          <Route path="/tenants/:tenantId/usage" component={Usage} />
          <Route path="/health">{session.claims.kind === 'admin' ? <Health /> : <Home />}</Route>
          <Route>
            <h1>Page not found</h1>
            <p>There is no console page at this address.</p>
          </Route>
        </Switch>
      </Suspense>
    </Layout>
  );
}

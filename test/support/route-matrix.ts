/**
 * THE ROUTE TABLE OF THE CROSS-TENANT MATRIX (GitHub issue 3).
 *
 * test/e2e/tenancy-matrix.e2e-spec.ts enumerates every route the booted app
 * serves (the OpenAPI document at /docs-json plus every Nest controller route,
 * so a route hidden from the docs is caught too) and FAILS when a route is
 * missing from ROUTE_TABLE below, or when its declared class or permissions
 * differ from its decorators. So:
 *
 *   A commit that adds, removes or changes a route classifies it HERE, in the
 *   same commit.
 *
 * How to classify a route:
 *  1. Add `'METHOD /path/with/{params}': { class, permissions }`, the path
 *     exactly as /docs-json prints it (`:kbId` becomes `{kbId}`).
 *  2. class is one of
 *       public      @Public(): no credentials (health, login);
 *       admin-only  @AdminOnly(): the platform admin only;
 *       self        @AnyCaller(): any authenticated caller, no tenant or KB in the
 *                   path; the answer is about the caller only (GET /auth/me);
 *       tenant      has {tenantId} (not {kbId}): the caller's own tenant only;
 *       kb          has {tenantId} and {kbId}: own tenant and inside the key's KB scope;
 *       workspace   the LightRAG-compatible API (@LightragRoute): the tenant and KB
 *                   come from the workspace selector (LIGHTRAG-WORKSPACE header or
 *                   the /lightrag/w/{workspace}/… path form), checked like kb.
 *     A compat route is listed once, at its /lightrag/… path; its path-scoped
 *     twin /lightrag/w/{workspace}/… takes the same rule (ruleOf).
 *     permissions: exactly what @RequirePermissions(...) lists (the contract's
 *     names).
 *  3. Optional `body`: a plausible valid JSON body, sent with every denied
 *     call so a 403 cannot be confused with a 400 (the guard runs before
 *     validation, so `{}` — the default — works too); `upload: true` sends a
 *     multipart form with a small text file instead.
 *  4. Path parameters other than tenantId/kbId are filled by idsOf() in the
 *     matrix spec: real ids of the victim tenant for keyId, userId and
 *     documentId, a random UUID for any other name (add a real one there when
 *     a new parameter names something the victim can own).
 *  5. Run `npx jest test/e2e/tenancy-` and, when the permission snapshot
 *     changes because you meant it to, `-u` it and commit the .snap file.
 *
 * `planned: true` marks a contract route another piece of
 * work will add: it is not required to exist yet, but once it does its
 * declaration is checked like every other. Remove the flag when it lands.
 */
import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';

export type RouteClass = 'public' | 'admin-only' | 'self' | 'tenant' | 'kb' | 'workspace';

export interface RouteRule {
  class: RouteClass;
  permissions?: string[];
  body?: unknown;
  /** multipart/form-data with a small text file in the field `file` instead of a JSON body. */
  upload?: true;
  planned?: true;
}

const T = '/api/v1/tenants/{tenantId}';
const KB = `${T}/knowledge-bases/{kbId}`;

export const ROUTE_TABLE: Record<string, RouteRule> = {
  // operations and login
  'GET /health': { class: 'public' },
  'GET /health/ready': { class: 'public' },
  'GET /metrics': { class: 'public' },
  'POST /api/v1/auth/login': { class: 'public' },
  'GET /api/v1/auth/me': { class: 'self' },

  // tenants
  'POST /api/v1/tenants': { class: 'admin-only', body: { tenant_name: 'Intruder' } },
  'GET /api/v1/tenants': { class: 'admin-only' },
  [`GET ${T}`]: { class: 'tenant', permissions: ['tenant:read'] },
  [`PATCH ${T}`]: { class: 'tenant', permissions: ['tenant:write'], body: { description: 'changed' } },
  [`DELETE ${T}`]: { class: 'admin-only' },

  // knowledge bases
  [`POST ${T}/knowledge-bases`]: { class: 'tenant', permissions: ['kb:write'], body: { kb_name: 'intruder-kb' } },
  [`GET ${T}/knowledge-bases`]: { class: 'tenant', permissions: ['kb:read'] },
  [`GET ${KB}`]: { class: 'kb', permissions: ['kb:read'] },
  [`PATCH ${KB}`]: { class: 'kb', permissions: ['kb:write'], body: { description: 'changed' } },
  [`DELETE ${KB}`]: { class: 'kb', permissions: ['kb:delete'] },

  // API keys
  [`POST ${T}/api-keys`]: { class: 'tenant', permissions: ['apikey:manage'], body: { key_name: 'intruder', knowledge_base_ids: ['*'], permissions: ['kb:read'] } },
  [`GET ${T}/api-keys`]: { class: 'tenant', permissions: ['apikey:manage'] },
  [`GET ${T}/api-keys/{keyId}`]: { class: 'tenant', permissions: ['apikey:manage'] },
  [`DELETE ${T}/api-keys/{keyId}`]: { class: 'tenant', permissions: ['apikey:manage'] },

  // users
  [`POST ${T}/users`]: { class: 'tenant', permissions: ['user:manage'], body: { username: 'intruder-user', password: 'intruder-password', role: 'viewer' } },
  [`GET ${T}/users`]: { class: 'tenant', permissions: ['user:manage'] },
  [`GET ${T}/users/{userId}`]: { class: 'tenant', permissions: ['user:manage'] },
  [`PATCH ${T}/users/{userId}`]: { class: 'tenant', permissions: ['user:manage'], body: { is_active: false } },
  [`DELETE ${T}/users/{userId}`]: { class: 'tenant', permissions: ['user:manage'] },

  // documents
  [`POST ${KB}/documents/add`]: { class: 'kb', permissions: ['document:write'], upload: true },
  [`POST ${KB}/documents/text`]: { class: 'kb', permissions: ['document:write'], body: { text: 'intruder text' } },
  [`POST ${KB}/documents/texts`]: { class: 'kb', permissions: ['document:write'], body: { texts: ['intruder text'] } },
  [`GET ${KB}/documents`]: { class: 'kb', permissions: ['document:read'] },
  [`GET ${KB}/documents/{documentId}`]: { class: 'kb', permissions: ['document:read'] },
  [`DELETE ${KB}/documents/{documentId}`]: { class: 'kb', permissions: ['document:delete'] },

  // query and graph
  [`POST ${KB}/query`]: { class: 'kb', permissions: ['query:run'], body: { query: 'what is there?', mode: 'naive' } },
  [`POST ${KB}/query/stream`]: { class: 'kb', permissions: ['query:run'], body: { query: 'what is there?', mode: 'naive' } },
  [`GET ${KB}/graph`]: { class: 'kb', permissions: ['graph:read'] },
  [`GET ${KB}/graph/labels`]: { class: 'kb', permissions: ['graph:read'] },

  // audit and usage
  [`GET ${T}/audit-logs`]: { class: 'tenant', permissions: ['audit:read'] },
  [`GET ${T}/audit-logs/verify`]: { class: 'tenant', permissions: ['audit:read'] },
  'GET /api/v1/audit/verify': { class: 'admin-only' },
  'POST /api/v1/audit/verify': { class: 'admin-only', body: { heads: [] } },
  [`GET ${T}/usage`]: { class: 'tenant', permissions: ['usage:read'] },

  // the LightRAG-compatible API (src/compat/lightrag/api; each also served at /lightrag/w/{workspace}/…)
  'GET /lightrag/auth-status': { class: 'public' },
  'POST /lightrag/login': { class: 'public' },
  'GET /lightrag/health': { class: 'workspace' },
  'GET /lightrag/graph/label/list': { class: 'workspace', permissions: ['graph:read'] },
  'GET /lightrag/graph/label/popular': { class: 'workspace', permissions: ['graph:read'] },
  'GET /lightrag/graph/label/search': { class: 'workspace', permissions: ['graph:read'] },
  'GET /lightrag/graphs': { class: 'workspace', permissions: ['graph:read'] },
  'GET /lightrag/graph/entity/exists': { class: 'workspace', permissions: ['graph:read'] },
  'POST /lightrag/graph/entity/edit': { class: 'workspace', permissions: ['kb:write'], body: { entity_name: 'x', updated_data: {} } },
  'POST /lightrag/graph/relation/edit': { class: 'workspace', permissions: ['kb:write'], body: { source_id: 'x', target_id: 'y', updated_data: {} } },
  'POST /lightrag/graph/entity/create': { class: 'workspace', permissions: ['kb:write'], body: { entity_name: 'x', entity_data: {} } },
  'POST /lightrag/graph/relation/create': { class: 'workspace', permissions: ['kb:write'], body: { source_entity: 'x', target_entity: 'y', relation_data: {} } },
  'POST /lightrag/graph/entities/merge': { class: 'workspace', permissions: ['kb:write'], body: { entities_to_change: ['x'], entity_to_change_into: 'y' } },
  'DELETE /lightrag/graph/entity/delete': { class: 'workspace', permissions: ['kb:write'] },
  'DELETE /lightrag/graph/relation/delete': { class: 'workspace', permissions: ['kb:write'] },
  // the Ollama emulation (Open WebUI): the model list needs any credential of the tenant; chat and generate run queries
  'GET /lightrag/api/version': { class: 'workspace' },
  'GET /lightrag/api/tags': { class: 'workspace' },
  'GET /lightrag/api/ps': { class: 'workspace' },
  'POST /lightrag/api/chat': {
    class: 'workspace',
    permissions: ['query:run'],
    body: { model: 'lightrag:latest', messages: [{ role: 'user', content: 'what is there?' }], stream: false },
  },
  'POST /lightrag/api/generate': { class: 'workspace', permissions: ['query:run'], body: { model: 'lightrag:latest', prompt: 'Say hi', stream: false } },
  // LightRAG document routes (lightrag-documents.controller.ts)
  'POST /lightrag/documents/text': { class: 'workspace', permissions: ['document:write'], body: { text: 'intruder text', file_source: 'intruder.txt' } },
  'POST /lightrag/documents/texts': { class: 'workspace', permissions: ['document:write'], body: { texts: ['intruder text'] } },
  'POST /lightrag/documents/upload': { class: 'workspace', permissions: ['document:write'], upload: true },
  'POST /lightrag/documents/scan': { class: 'workspace', permissions: ['document:write'] },
  'GET /lightrag/documents/track_status/{track_id}': { class: 'workspace', permissions: ['document:read'] },
  'POST /lightrag/documents/paginated': { class: 'workspace', permissions: ['document:read'], body: { page: 1, page_size: 10 } },
  'GET /lightrag/documents/status_counts': { class: 'workspace', permissions: ['document:read'] },
  'GET /lightrag/documents': { class: 'workspace', permissions: ['document:read'] },
  'GET /lightrag/documents/pipeline_status': { class: 'workspace', permissions: ['document:read'] },
  'DELETE /lightrag/documents/delete_document': { class: 'workspace', permissions: ['document:delete'], body: { doc_ids: ['00000000-0000-4000-8000-000000000000'] } },
  'DELETE /lightrag/documents': { class: 'workspace', permissions: ['document:delete'] },
  'POST /lightrag/documents/cancel_pipeline': { class: 'workspace', permissions: ['document:write'] },
  'POST /lightrag/documents/reprocess_failed': { class: 'workspace', permissions: ['document:write'] },
  'POST /lightrag/documents/clear_cache': { class: 'workspace', permissions: ['document:write'], body: {} },
  'DELETE /lightrag/documents/delete_entity': { class: 'workspace', permissions: ['document:delete'], body: { entity_name: 'X' } },
  'DELETE /lightrag/documents/delete_relation': { class: 'workspace', permissions: ['document:delete'], body: { source_entity: 'X', target_entity: 'Y' } },
  'POST /lightrag/query': { class: 'workspace', permissions: ['query:run'], body: { query: 'what is there?', mode: 'naive' } },
  'POST /lightrag/query/stream': { class: 'workspace', permissions: ['query:run'], body: { query: 'what is there?', mode: 'naive' } },
  'POST /lightrag/query/data': { class: 'workspace', permissions: ['query:run'], body: { query: 'what is there?', mode: 'naive' } },

  // the tenant's own LLM key
  [`GET ${T}/llm-key`]: { class: 'tenant', permissions: ['tenant:read'] },
  [`PUT ${T}/llm-key`]: { class: 'tenant', permissions: ['tenant:write'], body: { api_key: 'sk-intruder-llm-key-0000' } },
  [`DELETE ${T}/llm-key`]: { class: 'tenant', permissions: ['tenant:write'] },
};

/** The path-scoped form of the LightRAG-compatible API: the same route as its /lightrag/… twin. */
export const COMPAT_WORKSPACE_PATH = '/lightrag/w/{workspace}';

/** The rule of a route: its own entry, or for a path-scoped compat route its /lightrag/… twin's. */
export function ruleOf(route: string): RouteRule | undefined {
  return (
    ROUTE_TABLE[route] ??
    ROUTE_TABLE[route.replace(` ${COMPAT_WORKSPACE_PATH}/`, ' /lightrag/').replace(new RegExp(` ${COMPAT_WORKSPACE_PATH.replace(/[{}]/g, '\\$&')}$`), ' /lightrag')]
  );
}

/** Whether a route belongs to the LightRAG-compatible API (kept out of Strata's OpenAPI document). */
export const isCompatRoute = (route: string) => / \/lightrag(\/|$)/.test(route);

/** What the decorators on a route say (mirrors AccessGuard: handler metadata overrides class metadata). */
export interface RouteDeclaration {
  route: string;
  isPublic: boolean;
  adminOnly: boolean;
  /** @AnyCaller(): any authenticated caller, answering about itself. */
  anyCaller: boolean;
  /** @LightragRoute(need): the tenant and KB come from the workspace selector. */
  workspace?: string;
  permissions: string[];
}

// The metadata keys of src/context/decorators.ts and of @nestjs/common's route decorators.
const IS_PUBLIC = 'strata:public';
const ADMIN_ONLY = 'strata:admin-only';
const ANY_CALLER = 'strata:any-caller';
const REQUIRED_PERMISSIONS = 'strata:permissions';
const WORKSPACE_SCOPE = 'strata:workspace-scope';
const PATH_METADATA = 'path';
const METHOD_METADATA = 'method';
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'ALL', 'OPTIONS', 'HEAD', 'SEARCH'];

function joinPath(...parts: string[]): string {
  const p = parts
    .flatMap((s) => s.split('/'))
    .filter((s) => s.length > 0)
    .map((s) => (s.startsWith(':') ? `{${s.slice(1)}}` : s))
    .join('/');
  return `/${p}`;
}

/**
 * The path the HTTP server really serves a controller route at: under the
 * global prefix (main's setGlobalPrefix('api/v1')) unless the route is one the
 * prefix excludes (health, metrics); a module mounted by RouterModule (the
 * LightRAG-compatible API at /lightrag) serves under its module path. Asked of Fastify's own router, so a route
 * the prefix does not reach is reported where it is.
 */
function servedPath(app: INestApplication, method: string, path: string, modulePath: string): string {
  const fastify = app.getHttpAdapter().getInstance() as { hasRoute(o: { method: string; url: string }): boolean };
  const url = (p: string) => p.replace(/\{(\w+)\}/g, ':$1');
  if (modulePath) return `${modulePath}${path === '/' ? '' : path}`;
  for (const candidate of [`/api/v1${path === '/' ? '' : path}`, path]) if (fastify.hasRoute({ method, url: url(candidate) })) return candidate;
  return path;
}

/** Every route of every Nest controller in the running app, with its access declaration. */
export function declaredRoutes(app: INestApplication): RouteDeclaration[] {
  const out: RouteDeclaration[] = [];
  const modules = app.get(ModulesContainer);
  for (const mod of modules.values()) {
    // RouterModule.register records a module's path as metadata "__module_path__<application id>" on the module class.
    const moduleKey = mod.metatype ? Reflect.getMetadataKeys(mod.metatype).find((k) => String(k).startsWith('__module_path__')) : undefined;
    const modulePath: string = moduleKey ? Reflect.getMetadata(moduleKey, mod.metatype) : '';
    for (const wrapper of mod.controllers.values()) {
      const ctrl = wrapper.metatype as (new (...a: unknown[]) => unknown) | undefined;
      if (!ctrl || !ctrl.prototype) continue;
      const base: string[] = [Reflect.getMetadata(PATH_METADATA, ctrl) ?? ''].flat();
      const proto = ctrl.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (name === 'constructor') continue;
        const handler = Object.getOwnPropertyDescriptor(proto, name)?.value;
        if (typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler);
        if (method === undefined) continue;
        const paths: string[] = [Reflect.getMetadata(PATH_METADATA, handler) ?? ''].flat();
        const pick = <T>(key: string): T | undefined => Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, ctrl);
        for (const b of base)
          for (const p of paths)
            out.push({
              route: `${METHODS[method] ?? String(method)} ${servedPath(app, METHODS[method] ?? String(method), joinPath(b, p), modulePath)}`,
              isPublic: pick<boolean>(IS_PUBLIC) === true,
              adminOnly: pick<boolean>(ADMIN_ONLY) === true,
              anyCaller: pick<boolean>(ANY_CALLER) === true,
              workspace: pick<string>(WORKSPACE_SCOPE),
              permissions: [...(pick<string[]>(REQUIRED_PERMISSIONS) ?? [])].sort(),
            });
      }
    }
  }
  return out.sort((a, b) => a.route.localeCompare(b.route));
}

/** `METHOD /path` for every operation of the OpenAPI document. */
export function openApiRoutes(doc: { paths: Record<string, Record<string, unknown>> }): string[] {
  const out: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths ?? {}))
    for (const m of Object.keys(ops)) if (['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(m)) out.push(`${m.toUpperCase()} ${path}`);
  return out.sort();
}

/** The class the decorators and the path give a route; what ROUTE_TABLE must say. */
export function classOf(d: RouteDeclaration): RouteClass | 'unscoped' {
  if (d.isPublic) return 'public';
  if (d.adminOnly) return 'admin-only';
  if (d.workspace) return 'workspace';
  const path = d.route.split(' ')[1];
  // Declared for any caller, and with no tenant in the path to be checked against.
  if (d.anyCaller && !path.includes('{tenantId}')) return 'self';
  if (path.includes('{tenantId}') && path.includes('{kbId}')) return 'kb';
  if (path.includes('{tenantId}')) return 'tenant';
  // Authenticated but not scoped to a tenant: no such route should exist.
  return 'unscoped';
}

export function routeParams(route: string): string[] {
  return [...route.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
}

export function fillPath(route: string, values: Record<string, string>): { method: string; path: string } {
  const [method, template] = route.split(' ');
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for {${name}} in ${route}`);
    return encodeURIComponent(v);
  });
  return { method, path };
}

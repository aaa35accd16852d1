import { Injectable, OnModuleInit } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../../../common/app-exception';
import { createCache, invalidateOn } from '../../../common/cache';
import { TenantEvents } from '../../../context/tenant-events';
import { slugify } from '../../../common/text';
import { AppConfig } from '../../../config/app-config';
import { DatabaseService } from '../../../database/database.service';
import type { Principal } from '../../../context/principal';
import { ResolvedScope, ScopeResolver, ScopeResolvers, WorkspaceNeed } from '../../../context/workspace-scope';
import { matchKbs, parseSelector, ParsedSelector, UUID } from './workspace-selector';
import { WorkspaceKb, WorkspaceRepository } from './workspace.repository';

export const MISSING_WORKSPACE = 'Missing LIGHTRAG-WORKSPACE header. Workspace identification is required.';

/** What the resolver leaves on the request for the compat layer's response headers and handlers. */
export interface CompatRequestState {
  lightragKbId?: string;
  lightragKbName?: string;
  /** A renewed bearer token for X-New-Token (TokenRenewal, set by LightragHeadersInterceptor). */
  lightragNewToken?: string;
}

interface Source {
  name: 'path' | 'header' | 'model';
  value: string;
}

/**
 * Turns a LightRAG client's workspace selector into the caller's tenant and
 * KB (ADR 007, decision 3), for AccessGuard, which then applies the native
 * routes' checks. The selector only routes; the credential authorises:
 *  - sources in order: the /w/{workspace} path segment, LIGHTRAG-WORKSPACE
 *    (else X-Workspace-ID), the Ollama model tag; later ones may only agree;
 *  - then an API key bound to exactly one KB; then (non-strict, non-destructive)
 *    the tenant's KB named LIGHTRAG_COMPAT_DEFAULT_KB;
 *  - malformed → 400; unknown in the caller's tenant → 404; another tenant's
 *    or outside the key's KB scope → 403 with one body whether or not it exists.
 */
@Injectable()
export class WorkspaceResolver implements ScopeResolver, OnModuleInit {
  /**
   * Each caller's own tenant (slug and KBs), by tenant id: every compat
   * request needs it, and it changes only with the tenant or one of its KBs,
   * which clears the entry on every replica (TenantEvents); the TTL bounds
   * staleness only while the link between replicas is down.
   */
  private readonly owned = createCache<string, OwnTenant>({ max: 10_000, ttlMs: 5_000 });

  constructor(
    private readonly db: DatabaseService,
    private readonly repo: WorkspaceRepository,
    private readonly config: AppConfig,
    private readonly registry: ScopeResolvers,
    events: TenantEvents,
  ) {
    invalidateOn(this.owned, events, (e) => e.tenantId);
  }

  onModuleInit(): void {
    this.registry.register(this);
  }

  async resolve(request: unknown, principal: Principal, need: WorkspaceNeed): Promise<ResolvedScope> {
    const req = request as FastifyRequest & CompatRequestState;
    const sources = this.sources(req);
    // The caller's own tenant (slug and KBs), read once: every step below looks in it.
    const own = principal.kind === 'admin' ? undefined : await this.ownTenantOf(principal.tenantId);

    const resolved: Array<{ tenantId: string; kb: WorkspaceKb }> = [];
    for (const s of sources) {
      const parsed = parseSelector(s.value);
      if (!parsed) throw AppException.validation(`Invalid workspace identifier '${printable(s.value)}'.`);
      resolved.push(principal.kind === 'admin' ? await this.forAdmin(parsed) : this.inOwnTenant(principal, own, parsed));
    }
    if (resolved.some((r) => r.kb.id !== resolved[0].kb.id)) throw AppException.validation('Conflicting workspace selectors.');
    let hit: { tenantId: string; kb: WorkspaceKb } | undefined = resolved[0];
    if (!hit && principal.kind === 'api_key' && principal.kbIds !== null && principal.kbIds.size === 1) {
      const bound = own?.kbs.find((k) => principal.kbIds!.has(k.id));
      if (bound) hit = { tenantId: principal.tenantId, kb: bound };
    }
    if (!hit && need !== 'kb-explicit' && !this.config.settings.lightragCompatStrict && principal.kind !== 'admin') hit = this.defaultKb(principal, own);
    if (!hit) {
      if (need === 'optional') return { tenantId: this.ownTenant(principal) };
      throw AppException.validation(MISSING_WORKSPACE);
    }
    req.lightragKbId = hit.kb.id;
    req.lightragKbName = hit.kb.name;
    return { tenantId: hit.tenantId, kbId: hit.kb.id };
  }

  private async ownTenantOf(tenantId: string): Promise<OwnTenant | undefined> {
    return (await this.owned.getOrLoad(tenantId, async () => (await this.db.withTenant(tenantId, (db) => this.repo.tenantWithKbs(db, tenantId))) ?? null)) ?? undefined;
  }

  private sources(req: FastifyRequest): Source[] {
    const out: Source[] = [];
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    if (params.workspace !== undefined) out.push({ name: 'path', value: params.workspace });
    const header = firstHeader(req.headers['lightrag-workspace']) ?? firstHeader(req.headers['x-workspace-id']);
    if (header !== undefined && header.trim() !== '') out.push({ name: 'header', value: header });
    const tag = modelTag(req, this.config.settings.ollamaEmulatingModelName, this.config.settings.ollamaEmulatingModelTag);
    if (tag !== undefined) out.push({ name: 'model', value: tag });
    return out;
  }

  private ownTenant(principal: Principal): string {
    if (principal.kind === 'admin') throw AppException.validation('The platform admin has no tenant of its own: name the workspace as tenant__kb.');
    return principal.tenantId;
  }

  /**
   * The KB a selector names in the caller's own tenant. A tenant-qualified
   * selector must name that tenant (by id or slug); a KB-scoped key learns
   * nothing about KBs outside its scope, not even whether they exist.
   */
  private inOwnTenant(principal: Exclude<Principal, { kind: 'admin' }>, own: OwnTenant | undefined, sel: ParsedSelector): { tenantId: string; kb: WorkspaceKb } {
    if (sel.tenantRef !== null) {
      const ref = sel.tenantRef.toLowerCase();
      if (!own || (ref !== principal.tenantId.toLowerCase() && ref !== own.slug)) throw notAccessible(sel.raw);
    }
    const scope = principal.kind === 'api_key' ? principal.kbIds : null;
    const kb = own ? pick(own, sel, this.config.settings.lightragCompatDefaultKb) : undefined;
    if (scope !== null && (!kb || !scope.has(kb.id))) throw notAccessible(sel.raw);
    if (!kb) throw new AppException('NOT_FOUND', `Workspace '${printable(sel.raw)}' not found.`);
    return { tenantId: principal.tenantId, kb };
  }

  private async forAdmin(sel: ParsedSelector): Promise<{ tenantId: string; kb: WorkspaceKb }> {
    // A bare selector from the admin names a tenant (a migrated workspace → its KB default).
    const tenantRef = sel.tenantRef ?? sel.kbRef;
    const kbSel: ParsedSelector = sel.tenantRef === null ? { raw: sel.raw, tenantRef: null, kbRef: this.config.settings.lightragCompatDefaultKb } : sel;
    const tenantId = await this.db.withPlatform((db) => this.repo.tenantByRef(db, tenantRef, UUID.test(tenantRef)));
    const tenant = tenantId ? await this.db.withTenant(tenantId, (db) => this.repo.tenantWithKbs(db, tenantId)) : undefined;
    const kb = tenant ? pick(tenant, kbSel, this.config.settings.lightragCompatDefaultKb) : undefined;
    if (!tenantId || !kb) throw new AppException('NOT_FOUND', `Workspace '${printable(sel.raw)}' not found.`);
    return { tenantId, kb };
  }

  /** The tenant's KB named LIGHTRAG_COMPAT_DEFAULT_KB, when it exists and the credential reaches it (never created, never "the only KB"). */
  private defaultKb(principal: Exclude<Principal, { kind: 'admin' }>, own: OwnTenant | undefined): { tenantId: string; kb: WorkspaceKb } | undefined {
    const hits = own ? matchKbs(own.kbs, this.config.settings.lightragCompatDefaultKb) : [];
    const scope = principal.kind === 'api_key' ? principal.kbIds : null;
    if (hits.length !== 1 || (scope !== null && !scope.has(hits[0].id))) return undefined;
    return { tenantId: principal.tenantId, kb: hits[0] };
  }
}

type OwnTenant = { slug: string; kbs: WorkspaceKb[] };

/** The KB a selector names in one tenant; a bare selector equal to the tenant's slug names its default KB (a migrated workspace). */
function pick(tenant: { slug: string; kbs: WorkspaceKb[] }, sel: ParsedSelector, defaultKb: string): WorkspaceKb | undefined {
  const hits = matchKbs(tenant.kbs, sel.kbRef);
  if (hits.length > 1) throw AppException.conflict(`Workspace '${printable(sel.raw)}' is ambiguous; use the KB id.`);
  if (hits.length === 1) return hits[0];
  if (sel.tenantRef === null && slugify(sel.kbRef) === tenant.slug) {
    const defaults = matchKbs(tenant.kbs, defaultKb);
    return defaults.length === 1 ? defaults[0] : undefined;
  }
  return undefined;
}

function notAccessible(raw: string): AppException {
  return AppException.forbidden(`Workspace '${printable(raw)}' is not accessible with this credential.`);
}

/** A selector echoed in a message: printable ASCII only, at most 80 characters. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The KB an Ollama request names through its model ("lightrag:manuals"):
 * only on the emulation's chat and generate routes; "lightrag:latest" (or the
 * bare name) names none.
 */
function modelTag(req: FastifyRequest, name: string, defaultTag: string): string | undefined {
  const url = req.routeOptions?.url ?? '';
  if (!/\/api\/(chat|generate)$/.test(url)) return undefined;
  const model = (req.body as { model?: unknown } | undefined)?.model;
  if (typeof model !== 'string') return undefined;
  const [base, tag] = model.trim().split(/:(.*)/s, 2);
  if (base.toLowerCase() !== name || tag === undefined || tag === '' || tag.toLowerCase() === defaultTag) return undefined;
  return tag;
}

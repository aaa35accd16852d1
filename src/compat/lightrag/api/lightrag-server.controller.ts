import { Body, Get, HttpCode, Post, Req } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { AuditAction } from '../../../common/audit-action';
import { AppConfig } from '../../../config/app-config';
import { Public } from '../../../context/decorators';
import { TenantContext } from '../../../context/tenant-context';
import { DatabaseService } from '../../../database/database.service';
import { AuthService } from '../../../auth/auth.service';
import { LightragHttpError } from './lightrag-errors';
import { LightragController, LightragRoute } from './lightrag-route';
import { parseLightrag } from './lightrag-validation';
import { LoginFormDto } from './lightrag-server.dto';
import { WorkspaceRepository } from './workspace.repository';
import type { CompatRequestState } from './workspace-resolver';

/** LightRAG 1.4.16's API version string (its __api_version__); the WebUI compares it with its own build. */
export const LIGHTRAG_API_VERSION = '0292';
const CORE_VERSION = `strata-${process.env.npm_package_version ?? '0.1.0'}`;

/** GET /auth-status, POST /login, GET /health: what the LightRAG WebUI asks before anything else. */
@LightragController('')
export class LightragServerController {
  /** Signs the inert marker token of LIGHTRAG_COMPAT_WEBUI_AUTH=apikey: a key nobody else knows, so it verifies nowhere. */
  private readonly markerSecret = randomBytes(32);

  constructor(
    private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly jwt: JwtService,
    private readonly context: TenantContext,
    private readonly db: DatabaseService,
    private readonly repo: WorkspaceRepository,
  ) {}

  private identity() {
    const s = this.config.settings;
    return { core_version: CORE_VERSION, api_version: LIGHTRAG_API_VERSION, webui_title: s.webuiTitle, webui_description: s.webuiDescription };
  }

  @Get('auth-status')
  @Public()
  async authStatus(): Promise<Record<string, unknown>> {
    if (this.config.settings.lightragCompatWebuiAuth === 'login') return { auth_configured: true, auth_mode: 'enabled', ...this.identity() };
    // apikey mode: LightRAG's "auth disabled" answer, so the WebUI skips its login page and asks for a key on the
    // first 403 "API Key required". The token is a marker only: signed with a per-process random key, it authorises nothing.
    const access_token = await this.jwt.signAsync(
      { sub: 'guest', role: 'guest', metadata: { auth_mode: 'disabled' } },
      { secret: this.markerSecret, algorithm: 'HS256', expiresIn: 24 * 3600 },
    );
    return { auth_configured: false, access_token, token_type: 'bearer', auth_mode: 'disabled', message: 'Enter a Strata API key.', ...this.identity() };
  }

  /** OAuth2 password form (application/x-www-form-urlencoded) or JSON: username, password; the rest is ignored. */
  @Post('login')
  @Public()
  @HttpCode(200)
  @AuditAction('auth.login')
  async login(@Body() body: unknown, @Req() req: FastifyRequest): Promise<Record<string, unknown>> {
    const form = parseLightrag(LoginFormDto, body);
    try {
      const token = await this.auth.login(form.username, form.password, req.ip);
      return { access_token: token.access_token, token_type: 'bearer', auth_mode: 'enabled', ...this.identity() };
    } catch (err) {
      if ((err as { code?: string }).code === 'UNAUTHENTICATED') throw new LightragHttpError(401, 'Incorrect credentials');
      throw err;
    }
  }

  /**
   * LightRAG's status card. Any valid credential of an active tenant; the
   * workspace is resolved when the request names one (or the key is bound to
   * one, or the default KB exists) and is "" otherwise — never an error, so the
   * WebUI's health poll works in strict mode too. Hosts are redacted; no key
   * material is ever in the body.
   */
  @Get('health')
  @LightragRoute('optional')
  async health(@Req() req: FastifyRequest): Promise<Record<string, unknown>> {
    const s = this.config.settings;
    const tenantId = this.context.requireTenantId();
    const kbId = this.context.kbId;
    const busy = kbId ? await this.db.withTenant(tenantId, (db) => this.repo.pipelineBusy(db, tenantId, kbId)) : false;
    const storage = this.db.kind === 'pglite' ? 'PGlite' : 'PostgreSQL';
    return {
      status: 'healthy',
      webui_available: false,
      working_directory: '',
      input_directory: '',
      configuration: {
        llm_binding: s.llmBinding,
        llm_binding_host: '',
        llm_model: s.llmModel,
        embedding_binding: s.embeddingBinding,
        embedding_binding_host: '',
        embedding_model: s.embeddingModel,
        summary_max_tokens: 500,
        summary_context_size: 10000,
        kv_storage: `${storage}KVStorage`,
        doc_status_storage: `${storage}DocStatusStorage`,
        graph_storage: `${storage}GraphStorage`,
        vector_storage: `${storage}VectorStorage`,
        enable_llm_cache_for_extract: false,
        enable_llm_cache: false,
        workspace: (req as FastifyRequest & CompatRequestState).lightragKbName ?? '',
        max_graph_nodes: 5000,
        enable_rerank: true,
        rerank_binding: 'local-bm25',
        rerank_model: 'bm25',
        rerank_binding_host: '',
        summary_language: 'English',
        force_llm_summary_on_merge: 4,
        max_parallel_insert: s.workerConcurrency,
        cosine_threshold: 0.2,
        min_rerank_score: 0,
        related_chunk_number: 5,
        max_async: s.llmMaxConcurrency,
        embedding_func_max_async: s.llmMaxConcurrency,
        embedding_batch_num: 32,
      },
      auth_mode: 'enabled',
      pipeline_busy: busy,
      keyed_locks: {},
      ...this.identity(),
    };
  }
}

import { sendNdjson } from '../../../common/ndjson';
import { RunsQuery } from '../../../queries/runs-query.decorator';
import { Body, Post, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { TenantContext } from '../../../context/tenant-context';
import { QueryDataExceptionFilter } from './lightrag-errors';
import { compatResponseHeaders } from './lightrag-headers';
import { LightragQueryDto } from './lightrag-query.dto';
import { LightragQueryService } from './lightrag-query.service';
import { LightragController, LightragRoute } from './lightrag-route';
import { parseLightrag } from './lightrag-validation';

/**
 * LightRAG's query routes (query_routes.py) on the KB the workspace selector
 * resolved: the same permission, rate limit, model budget, audit and metrics
 * as the native POST …/knowledge-bases/:kbId/query.
 */
@LightragController('query')
export class LightragQueryController {
  constructor(
    private readonly queries: LightragQueryService,
    private readonly context: TenantContext,
  ) {}

  /** {"response", "references" (null when include_references is false), "response_time", "llm_generated"}. */
  @Post()
  @LightragRoute('kb')
  @RunsQuery()
  query(@Body() body: unknown): Promise<Record<string, unknown>> {
    const dto = parseLightrag(LightragQueryDto, body);
    return this.queries.query(this.context.requireTenantId(), this.requireKb(), dto, this.context.principal);
  }

  /**
   * application/x-ndjson: {"references": […]} (when include_references), then
   * {"response": "<delta>"} lines; {"error": "<text>"} ends a stream the model
   * broke. No mode line, no done line. stream: false → one line
   * {"response", "references"}. Errors before the first line are {"detail"}.
   */
  @Post('stream')
  @LightragRoute('kb')
  @RunsQuery()
  async stream(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const dto = parseLightrag(LightragQueryDto, body);
    const requestId = String(reply.request.id);
    const lines = await this.queries.stream(this.context.requireTenantId(), this.requireKb(), dto, this.context.principal, requestId);
    await sendNdjson(reply, lines, { ...compatResponseHeaders(reply.request), 'x-accel-buffering': 'no' });
  }

  /** Retrieval only, in LightRAG's field names; validation errors are 400 {"status": "failure", …} as LightRAG answers them here. */
  @Post('data')
  @LightragRoute('kb')
  @UseFilters(QueryDataExceptionFilter)
  @RunsQuery()
  data(@Body() body: unknown): Promise<Record<string, unknown>> {
    const dto = parseLightrag(LightragQueryDto, body);
    return this.queries.data(this.context.requireTenantId(), this.requireKb(), dto, this.context.principal);
  }

  private requireKb(): string {
    const kbId = this.context.kbId;
    if (!kbId) throw new Error('LightragRoute("kb") left no KB in the request context');
    return kbId;
  }
}

import { Body, Controller, HttpCode, Param, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuditAction } from '../audit/audit.decorator';
import { RequirePermissions } from '../auth/decorators';
import { TenantContext } from '../context/tenant-context';
import { RawResponse } from '../common/decorators';
import { toErrorResponse } from '../common/error-mapping';
import { QueryEngine, QueryInput } from '../rag/retrieval/query-engine';
import { RateLimit } from '../throttling/rate-limit.decorator';
import { ConsumesModelBudget, ModelBudgetGuard } from '../usage/model-budget';
import { QueryAnswerDto, QueryDto } from './queries.dto';

function toInput(body: QueryDto, apiKeyId: string | undefined): QueryInput {
  return {
    query: body.query,
    mode: body.mode,
    topK: body.top_k,
    chunkTopK: body.chunk_top_k,
    enableRerank: body.enable_rerank,
    responseType: body.response_type,
    history: (body.conversation_history ?? []).map((m) => ({ role: m.role, content: m.content })),
    apiKeyId,
  };
}

@ApiTags('query')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('tenants/:tenantId/knowledge-bases/:kbId/query')
export class QueriesController {
  constructor(
    private readonly engine: QueryEngine,
    private readonly context: TenantContext,
  ) {}

  @Post()
  @HttpCode(200)
  @RequirePermissions('query:run')
  @RateLimit('query')
  @ConsumesModelBudget('query')
  @UseGuards(ModelBudgetGuard)
  @AuditAction('query.run')
  @ApiOperation({
    summary: 'Ask the KB (modes naive | local | global | hybrid | mix | bypass)',
    description:
      '→ {response, mode, references: [{document_id, file_path, chunk_id, score}], usage}. With only_need_context: true → ' +
      '{mode, context: {chunks, entities, relations}, references} and no model call. Chunks are fused by reciprocal rank (vector and ' +
      'full-text search, plus graph-derived chunks in local/global/hybrid/mix), then re-ranked lexically: chunk scores are in [0, 1], ' +
      'best = 1; with enable_rerank: false they are the fusion sums. Entity and relation scores are cosine similarities.',
  })
  @ApiResponse({ status: 200, type: QueryAnswerDto })
  async query(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string, @Body() body: QueryDto): Promise<unknown> {
    const started = process.hrtime.bigint();
    const input = toInput(body, this.apiKeyId());
    const prepared = await this.engine.prepare(tenantId, kbId, input);
    try {
      if (body.only_need_context) return { mode: prepared.mode, context: prepared.context, references: prepared.references };
      const { text, usage } = await this.engine.answer(prepared, input);
      return {
        response: text,
        mode: prepared.mode,
        references: prepared.references,
        usage: { input_tokens: usage.input_tokens, output_tokens: usage.output_tokens, total_tokens: usage.input_tokens + usage.output_tokens },
      };
    } finally {
      this.engine.observeLatency(tenantId, prepared.mode, started);
    }
  }

  /**
   * NDJSON stream (application/x-ndjson), one JSON object per line:
   *   {"mode": "...", "references": [...]}       first line
   *   {"response": "<text delta>"}               zero or more lines
   *   {"done": true}                             last line on success
   *   {"error": {"code", "message", "request_id"}} last line if the model fails mid-stream
   * With only_need_context: one line {"mode", "context", "references"} then {"done": true}.
   * Errors before the first line (validation, access, missing KB) are ordinary JSON error envelopes.
   */
  @Post('stream')
  @HttpCode(200)
  @RawResponse()
  @RequirePermissions('query:run')
  @RateLimit('query')
  @ConsumesModelBudget('query')
  @UseGuards(ModelBudgetGuard)
  @AuditAction('query.run')
  @ApiProduces('application/x-ndjson')
  @ApiOperation({
    summary: 'Ask the KB and stream the answer as NDJSON (application/x-ndjson)',
    description:
      'One JSON object per line: first {"mode","references"}, then {"response": "<delta>"} lines, then {"done": true}; ' +
      'a failure after the stream started ends it with {"error": {"code","message","request_id"}}. stream: false sends the whole answer as one {"response"} line. ' +
      'Errors before the stream starts are the usual JSON envelopes.',
  })
  async stream(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string, @Body() body: QueryDto, @Res() reply: FastifyReply): Promise<void> {
    const started = process.hrtime.bigint();
    const input = toInput(body, this.apiKeyId());
    const prepared = await this.engine.prepare(tenantId, kbId, input);
    const requestId = String(reply.request.id);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': requestId });
    const line = (o: unknown) => raw.write(JSON.stringify(o) + '\n');
    try {
      if (body.only_need_context) {
        line({ mode: prepared.mode, context: prepared.context, references: prepared.references });
      } else {
        line({ mode: prepared.mode, references: prepared.references });
        if (body.stream === false) {
          const { text } = await this.engine.answer(prepared, input);
          line({ response: text });
        } else {
          for await (const delta of this.engine.stream(prepared, input)) {
            if (raw.destroyed) break;
            if (delta) line({ response: delta });
          }
        }
      }
      line({ done: true });
    } catch (err) {
      line({ error: toErrorResponse(err, requestId).body.error });
    } finally {
      raw.end();
      this.engine.observeLatency(tenantId, prepared.mode, started);
    }
  }

  private apiKeyId(): string | undefined {
    const p = this.context.principal;
    return p?.kind === 'api_key' ? p.id : undefined;
  }
}

import { sendNdjson } from '../common/ndjson';
import { RunsQuery } from './runs-query.decorator';
import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal } from '../context/decorators';
import { RawResponse } from '../common/decorators';
import type { Principal } from '../context/principal';
import { QueryAnswerDto, QueryDto } from './queries.dto';
import { QueriesService } from './queries.service';

@ApiTags('query')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('tenants/:tenantId/knowledge-bases/:kbId/query')
export class QueriesController {
  constructor(private readonly queries: QueriesService) {}

  @Post()
  @RunsQuery()
  @ApiOperation({
    summary: 'Ask the KB (modes naive | local | global | hybrid | mix | bypass)',
    description:
      '→ {response, mode, references: [{document_id, file_path, chunk_id, score}], usage}. With only_need_context: true → ' +
      '{mode, context: {chunks, entities, relations}, references} and no model call. Chunks are fused by reciprocal rank (vector and ' +
      'full-text search, plus graph-derived chunks in local/global/hybrid/mix), then re-ranked lexically: chunk scores are in [0, 1], ' +
      'best = 1; with enable_rerank: false they are the fusion sums. Entity and relation scores are cosine similarities.',
  })
  @ApiResponse({ status: 200, type: QueryAnswerDto })
  query(@Param('tenantId') tenantId: string, @Param('kbId') kbId: string, @Body() body: QueryDto, @CurrentPrincipal() principal: Principal): Promise<unknown> {
    return this.queries.query(tenantId, kbId, body, principal);
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
  @RawResponse()
  @RunsQuery()
  @ApiProduces('application/x-ndjson')
  @ApiOperation({
    summary: 'Ask the KB and stream the answer as NDJSON (application/x-ndjson)',
    description:
      'One JSON object per line: first {"mode","references"}, then {"response": "<delta>"} lines, then {"done": true}; ' +
      'a failure after the stream started ends it with {"error": {"code","message","request_id"}}. stream: false sends the whole answer as one {"response"} line. ' +
      'Errors before the stream starts are the usual JSON envelopes.',
  })
  async stream(
    @Param('tenantId') tenantId: string,
    @Param('kbId') kbId: string,
    @Body() body: QueryDto,
    @CurrentPrincipal() principal: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const requestId = String(reply.request.id);
    const lines = await this.queries.stream(tenantId, kbId, body, principal, requestId);
    await sendNdjson(reply, lines);
  }
}

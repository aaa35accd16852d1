import { sendNdjson } from '../../../common/ndjson';
import { RunsQuery } from '../../../queries/runs-query.decorator';
import { Body, Get, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal } from '../../../context/decorators';
import type { Principal } from '../../../context/principal';
import { TenantContext } from '../../../context/tenant-context';
import { LightragValidationError } from './lightrag-errors';
import { compatResponseHeaders } from './lightrag-headers';
import { MAX_CHAT_MESSAGES, OllamaChatDto, OllamaGenerateDto } from './lightrag-ollama.dto';
import { LightragOllamaService, OLLAMA_VERSION, OllamaReply } from './lightrag-ollama.service';
import { LightragController, LightragRoute } from './lightrag-route';
import { parseLightrag } from './lightrag-validation';

/** A messages list longer than the bound is refused before any per-item work. */
function boundMessages(body: unknown): void {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (Array.isArray(messages) && messages.length > MAX_CHAT_MESSAGES) {
    throw new LightragValidationError([{ type: 'too_long', loc: ['body', 'messages'], msg: `List should have at most ${MAX_CHAT_MESSAGES} items, not ${messages.length}` }]);
  }
}

/**
 * LightRAG's Ollama emulation (/api/version, /api/tags, /api/ps, /api/chat,
 * /api/generate), what Open WebUI talks to through an Ollama connection. Unlike
 * LightRAG these need a credential (Open WebUI sends its connection key as
 * `Authorization: Bearer sk-…`); the model tag "lightrag:<kb>" selects the KB.
 * Errors are {"error", "detail"}.
 */
@LightragController('api', 'ollama')
export class LightragOllamaController {
  constructor(
    private readonly ollama: LightragOllamaService,
    private readonly context: TenantContext,
  ) {}

  @Get('version')
  @LightragRoute('optional')
  version(): { version: string } {
    return { version: OLLAMA_VERSION };
  }

  /** One model per KB the credential reaches, plus "lightrag:latest" for the KB a request without a tag goes to. */
  @Get('tags')
  @LightragRoute('optional')
  async tags(@CurrentPrincipal() principal: Principal): Promise<{ models: unknown[] }> {
    return { models: await this.ollama.models(this.context.requireTenantId(), this.context.kbId, principal) };
  }

  @Get('ps')
  @LightragRoute('optional')
  async ps(@CurrentPrincipal() principal: Principal): Promise<{ models: unknown[] }> {
    return { models: await this.ollama.running(this.context.requireTenantId(), this.context.kbId, principal) };
  }

  /** Retrieval and answer over the KB (stream by default: NDJSON frames, then a final frame with counters). */
  @Post('chat')
  @LightragRoute('kb')
  @RunsQuery()
  async chat(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    boundMessages(body);
    const dto = parseLightrag(OllamaChatDto, body);
    const out = await this.ollama.chat(this.context.requireTenantId(), this.context.kbId!, dto, principal, String(req.id));
    await send(req, reply, out);
  }

  /** The prompt to the KB's model, no retrieval (not streamed by default). */
  @Post('generate')
  @LightragRoute('kb')
  @RunsQuery()
  async generate(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const dto = parseLightrag(OllamaGenerateDto, body);
    const out = await this.ollama.generate(this.context.requireTenantId(), this.context.kbId!, dto, principal, String(req.id));
    await send(req, reply, out);
  }
}

/** One JSON object, or NDJSON frames written as they come (the reply is hijacked; stopping early when the client is gone). */
async function send(req: FastifyRequest, reply: FastifyReply, out: OllamaReply): Promise<void> {
  if (out.kind === 'json') {
    reply.status(200).type('application/json; charset=utf-8').send(JSON.stringify(out.body));
    return;
  }
  await sendNdjson(reply, out.frames, { ...compatResponseHeaders(req), 'x-accel-buffering': 'no' });
}

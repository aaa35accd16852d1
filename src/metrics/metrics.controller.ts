import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../auth/decorators';
import { AppException } from '../common/app-exception';
import { RawResponse } from '../common/decorators';
import { AppConfig } from '../config/app-config';
import { MetricsCollector } from './metrics.collector';
import { MetricsService } from './metrics.service';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly collector: MetricsCollector,
    private readonly config: AppConfig,
  ) {}

  /** Prometheus text format. With METRICS_TOKEN set, `Authorization: Bearer <token>` is required. */
  @Get()
  @Public()
  @RawResponse()
  @ApiOperation({ summary: 'Prometheus metrics (text format); Authorization: Bearer <METRICS_TOKEN> when that is set' })
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const token = this.config.settings.metricsToken;
    if (token) {
      const given = /^bearer\s+/i.test(authorization ?? '') ? authorization!.replace(/^bearer\s+/i, '').trim() : '';
      if (!given || !sameSecret(given, token)) throw AppException.unauthenticated('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.');
    }
    await this.collector.refreshForScrape();
    const { contentType, body } = await this.metrics.render();
    reply.status(200).header('content-type', contentType).header('cache-control', 'no-store').send(body);
  }
}

import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../context/decorators';
import { RawResponse } from '../common/decorators';
import { MetricsAccess } from './metrics-access';
import { MetricsCollector } from './metrics.collector';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly collector: MetricsCollector,
    private readonly access: MetricsAccess,
  ) {}

  /** Prometheus text format; `Authorization: Bearer <token>` unless METRICS_PUBLIC=true (MetricsAccess). */
  @Get()
  @Public()
  @RawResponse()
  @ApiOperation({ summary: 'Prometheus metrics (text format); Authorization: Bearer <METRICS_TOKEN> (set, or generated and printed at first start) unless METRICS_PUBLIC=true' })
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    this.access.check(authorization);
    await this.collector.refreshForScrape();
    const { contentType, body } = await this.metrics.render();
    reply.status(200).header('content-type', contentType).header('cache-control', 'no-store').send(body);
  }
}

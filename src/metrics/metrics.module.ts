import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { MetricsAccess } from './metrics-access';
import { MetricsCollector } from './metrics.collector';
import { MetricsController } from './metrics.controller';
import { MetricsInterceptor } from './metrics.interceptor';
import { MetricsRepository } from './metrics.repository';
import { MetricsService } from './metrics.service';

/** Prometheus metrics: the one MetricsService, its collectors, and GET /metrics. Imported by every module that records. */
@Module({
  controllers: [MetricsController],
  providers: [MetricsRepository, MetricsService, MetricsAccess, MetricsCollector, { provide: APP_INTERCEPTOR, useClass: MetricsInterceptor }],
  exports: [MetricsService],
})
export class MetricsModule {}

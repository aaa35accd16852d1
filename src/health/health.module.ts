import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlingModule } from '../throttling/throttling.module';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), ThrottlingModule],
  controllers: [HealthController],
})
export class HealthModule {}

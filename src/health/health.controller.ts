import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Public } from '../context/decorators';
import { AppException } from '../common/app-exception';
import { DatabaseService } from '../database/database.service';
import { InvalidationState, TenantEvents } from '../context/tenant-events';
import { RateLimitMode, RateLimitStorage } from '../throttling/rate-limit.storage';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: DatabaseService,
    private readonly events: TenantEvents,
    private readonly rateLimits: RateLimitStorage,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @ApiOperation({
    summary: 'Readiness: the database answers (503 UNAVAILABLE otherwise)',
    description:
      "`invalidation` says how this replica hears of other replicas' changes (revoked keys, suspended tenants): `redis` or `postgres` while that link is up, `local` for a single process (embedded database), `degraded` while the link is down — caches then expire after 5 s instead of at once. `rate_limits` says where the counters are: `redis` (shared by every replica), `memory` (no REDIS_URL), `degraded` (Redis unreachable: each replica counts in its own memory, still enforced).",
  })
  async ready(): Promise<{ status: 'ok'; database: string; invalidation: InvalidationState; rate_limits: RateLimitMode }> {
    try {
      await this.health.check([
        async () => {
          const indicator = this.indicators.check('database');
          return (await this.db.ping()) ? indicator.up({ engine: this.db.kind }) : indicator.down({ engine: this.db.kind });
        },
      ]);
    } catch {
      throw new AppException('UNAVAILABLE', 'The database is not reachable.');
    }
    return { status: 'ok', database: this.db.kind, invalidation: this.events.state, rate_limits: this.rateLimits.mode };
  }
}

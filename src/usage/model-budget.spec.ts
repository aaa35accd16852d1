import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { TenantContext } from '../context/tenant-context';
import { ConsumesModelBudget, ModelBudgetGuard } from './model-budget';
import { secondsToNextMonth } from './usage.service';
import type { UsageService } from './usage.service';

class Routes {
  @ConsumesModelBudget('ingestion')
  marked(): void {}
  unmarked(): void {}
}

const contextFor = (handler: () => void): ExecutionContext => ({ getHandler: () => handler, getClass: () => Routes }) as unknown as ExecutionContext;

describe('ModelBudgetGuard', () => {
  const calls: Array<[string, string]> = [];
  const usage = { assertAvailable: async (tenantId: string, kind: string) => void calls.push([tenantId, kind]) } as unknown as UsageService;
  const tenant = { requireTenantId: () => 'tenant-1' } as unknown as TenantContext;
  const guard = new ModelBudgetGuard(new Reflector(), tenant, usage);

  it('asks UsageService.assertAvailable for the request tenant with the kind the route declares', async () => {
    await expect(guard.canActivate(contextFor(Routes.prototype.marked))).resolves.toBe(true);
    expect(calls).toEqual([['tenant-1', 'ingestion']]);
  });

  it('fails loudly on a route guarded without @ConsumesModelBudget() (a wiring mistake, never a silent pass)', async () => {
    await expect(guard.canActivate(contextFor(Routes.prototype.unmarked))).rejects.toThrow(/without @ConsumesModelBudget/);
  });
});

describe('secondsToNextMonth (Retry-After of a refusal)', () => {
  it('counts to 00:00 UTC on the first of the next month, across a year end, and is at least 1', () => {
    expect(secondsToNextMonth(new Date('2026-12-31T23:59:00Z'))).toBe(60);
    expect(secondsToNextMonth(new Date('2026-02-28T00:00:00Z'))).toBe(86_400);
    expect(secondsToNextMonth(new Date('2026-03-31T23:59:59.900Z'))).toBe(1);
  });
});

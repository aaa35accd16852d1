import { AuditService } from '../../src/audit/audit.service';
import { TestApp } from './test-app';

/**
 * Appends `rows` entries to a tenant's audit chain through the app's own
 * writer (sealed and linked as any entry), and waits until they are stored.
 * Entry `i` is by `who(i)` (default: actor test:fill, action test.fill).
 */
export async function fillAuditChain(
  t: TestApp,
  tenantId: string,
  rows: number,
  who: (i: number) => { actor: string; action: string } = () => ({ actor: 'test:fill', action: 'test.fill' }),
): Promise<void> {
  const audit = t.app.get(AuditService);
  for (let i = 0; i < rows; i++)
    audit.record({
      tenantId,
      kbId: null,
      ...who(i),
      resourceId: null,
      outcome: 'success',
      httpStatus: 200,
      requestId: null,
      clientIp: null,
      details: { i },
    });
  await audit.flush();
}

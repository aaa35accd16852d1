import { randomUUID } from 'node:crypto';
import { ClsServiceManager } from 'nestjs-cls';
import { TENANT_KEY } from '../../src/context/tenant-context';
import { openDatabase, OpenedDatabase, runMigrations } from '../../src/database/data-source.factory';
import { DatabaseService } from '../../src/database/database.service';

/**
 * The embedded database's one connection, taken in turns (DatabaseService.turns):
 * units of work queue per tenant and the connection goes to the tenants in
 * turn, so one tenant's twenty queued units do not make another tenant's one
 * unit wait behind all of them; a platform unit run for a tenant's request
 * queues with that tenant's own; and a long run of queued units lets the event
 * loop in between (a timer set at its start fires before it ends), so another
 * tenant's request is read while they run. On PGlite in both legs (a server's
 * pool has many connections and no turns).
 */
describe('embedded database: units of work take turns by tenant', () => {
  let opened: OpenedDatabase;
  let db: DatabaseService;
  const A = randomUUID();
  const B = randomUUID();
  /** A unit that holds the connection ~`ms` (pg_sleep runs on this thread in PGlite). */
  const unit = (tenant: string, ms: number, log: string[], name: string) =>
    db
      .withTenant(tenant, (q) => q.exec(`SELECT pg_sleep(${ms / 1000})`))
      .then(() => {
        log.push(name);
      });

  beforeAll(async () => {
    opened = await openDatabase({ databaseUrl: null, dataDir: 'memory://', template: process.env.STRATA_TEST_PGLITE_TEMPLATE ?? null });
    await runMigrations(opened.dataSource);
    db = new DatabaseService(opened);
  }, 120_000);
  afterAll(async () => {
    await db?.onApplicationShutdown();
  });

  it('has turns on PGlite, one holder at a time', () => {
    expect(db.kind).toBe('pglite');
    expect(db.turns?.limit).toBe(1);
  });

  it("tenant B's one unit, queued after tenant A's ten, runs after at most two of them", async () => {
    const log: string[] = [];
    const all = Array.from({ length: 10 }, (_, i) => unit(A, 10, log, `A${i}`));
    all.push(unit(B, 1, log, 'B'));
    await Promise.all(all);
    expect(log).toHaveLength(11);
    expect(log.indexOf('B')).toBeLessThanOrEqual(2);
  });

  it("a platform unit run for tenant A's request queues with A's units, not ahead of B's", async () => {
    const log: string[] = [];
    const cls = ClsServiceManager.getClsService();
    const all = Array.from({ length: 6 }, (_, i) => unit(A, 10, log, `A${i}`));
    // Inside A's request context (what the guard sets): an audit flush, a limit lookup…
    all.push(
      cls.run(async () => {
        cls.set(TENANT_KEY, A);
        await db.withPlatform((q) => q.exec('SELECT 1'));
        log.push('A-platform');
      }),
    );
    all.push(unit(B, 1, log, 'B'));
    await Promise.all(all);
    expect(log.indexOf('B')).toBeLessThanOrEqual(2);
    // A's platform unit waited for A's six (first come, first served within a tenant).
    expect(log.indexOf('A-platform')).toBeGreaterThan(log.indexOf('A5'));
  });

  it('twenty queued units let the event loop in: a timer set when they start fires before the last of them ends', async () => {
    const log: string[] = [];
    const all = Array.from({ length: 20 }, (_, i) => unit(A, 10, log, `A${i}`));
    let doneWhenTimerFired = -1;
    setTimeout(() => {
      doneWhenTimerFired = log.length;
    }, 0);
    await Promise.all(all);
    expect(doneWhenTimerFired).toBeGreaterThanOrEqual(0);
    expect(doneWhenTimerFired).toBeLessThan(20);
  });
});

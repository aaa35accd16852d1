import { randomUUID } from 'node:crypto';
import { ClsServiceManager } from 'nestjs-cls';
import { TENANT_KEY } from '../../src/context/tenant-context';
import { isDatabaseUnavailable } from '../../src/common/error-mapping';
import { openDatabase, OpenedDatabase, runMigrations } from '../../src/database/data-source.factory';
import { DatabaseService } from '../../src/database/database.service';
import { freshDatabase, TestDatabase } from '../support/test-db';

/**
 * The embedded database's one connection, taken in turns (DatabaseService.turns):
 * units of work queue per tenant and the connection goes to the tenants in
 * turn, so one tenant's twenty queued units do not make another tenant's one
 * unit wait behind all of them; a platform unit run for a tenant's request
 * queues with that tenant's own; and a long run of queued units lets the event
 * loop in between (a timer set at its start fires before it ends), so another
 * tenant's request is read while they run. On PGlite in both legs.
 *
 * On a PostgreSQL server the same turns hand out each pool's connections
 * (DatabaseService.connections), one tenant at most all but one of them:
 * node-postgres' own waiters are one first-come-first-served queue, and a
 * tenant with more units in flight than the pool has connections made every
 * other tenant's unit wait behind all of its queued ones.
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

  it('units reports the one running unit and the queued ones (database_units), and none once they are done', async () => {
    const seen: Array<typeof db.units.primary> = [];
    await Promise.all(
      Array.from({ length: 5 }, () =>
        db.withTenant(A, async (q) => {
          seen.push(db.units.primary);
          await q.exec('SELECT 1');
        }),
      ),
    );
    expect(seen[0]).toEqual({ running: 1, waiting: 4 });
    expect(seen[4]).toEqual({ running: 1, waiting: 0 });
    expect(db.units).toEqual({ primary: { running: 0, waiting: 0 }, replica: { running: 0, waiting: 0 } });
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

const onServer = process.env.TEST_DATABASE_URL ? describe : describe.skip;

onServer("PostgreSQL server: a pool's connections are taken in turns by tenant", () => {
  let database: TestDatabase;
  const opened: OpenedDatabase[] = [];
  const services: DatabaseService[] = [];
  const A = randomUUID();
  const B = randomUUID();
  const open = async (poolSize: number, connectTimeoutMs = 10_000) => {
    const o = await openDatabase({ databaseUrl: database.url, dataDir: 'unused', poolSize, connectTimeoutMs });
    opened.push(o);
    if (opened.length === 1) await runMigrations(o.dataSource);
    const service = new DatabaseService(o);
    services.push(service);
    return service;
  };
  /** A unit that holds one of the pool's connections ~`ms` (pg_sleep in the server's backend). */
  const sleepFor = (db: DatabaseService, tenant: string, ms: number, log: string[], name: string) =>
    db
      .withTenant(tenant, (q) => q.exec(`SELECT pg_sleep(${ms / 1000})`))
      .then(() => {
        log.push(name);
      });

  beforeAll(async () => {
    database = await freshDatabase();
  }, 120_000);
  afterAll(async () => {
    for (const s of services) await s.onApplicationShutdown();
    await database?.drop();
  });

  it('has no one-connection turns but a slot per pool connection, all but one of them for one tenant', async () => {
    const db = await open(4);
    expect(db.turns).toBeNull();
    const slots = db.connections.get(db.dataSource)!;
    expect(slots.limit).toBe(4);
    expect(slots.ownerLimit).toBe(3);
  });

  it("tenant B's unit, sent while tenant A has ten slow units on a pool of three, runs at once on the connection A may not take", async () => {
    const db = await open(3);
    const slots = db.connections.get(db.dataSource)!;
    const log: string[] = [];
    let maxHeldByA = 0;
    const all = Array.from({ length: 10 }, (_, i) =>
      db.withTenant(A, async (q) => {
        maxHeldByA = Math.max(maxHeldByA, slots.heldBy(A));
        await q.exec('SELECT pg_sleep(0.2)');
        log.push(`A${i}`);
      }),
    );
    // B's unit comes after all ten of A's are queued (and two of them hold connections).
    await new Promise((r) => setTimeout(r, 50));
    expect(db.units.primary).toEqual({ running: 2, waiting: 8 });
    all.push(sleepFor(db, B, 1, log, 'B'));
    await Promise.all(all);
    expect(log).toHaveLength(11);
    // node-postgres' queue alone: B waited behind A's seven queued units (measured: answered 9th or 10th of 11).
    expect(log[0]).toBe('B');
    expect(maxHeldByA).toBe(2);
  });

  it('a unit that waits longer than DATABASE_CONNECT_TIMEOUT_MS for a connection fails as the database being unavailable (503), and frees nothing it did not hold', async () => {
    const db = await open(2, 300);
    const slots = db.connections.get(db.dataSource)!;
    const log: string[] = [];
    // A holds its one connection (all but one of two), the platform's background the other.
    const held = [sleepFor(db, A, 1500, log, 'A'), db.withPlatform((q) => q.exec('SELECT pg_sleep(1.5)')).then(() => log.push('platform'))];
    await new Promise((r) => setTimeout(r, 100));
    const err = await db
      .withTenant(B, (q) => q.exec('SELECT 1'))
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(slots.inFlight).toBe(2);
    expect(slots.waiting).toBe(0);
    await Promise.all(held);
    expect(slots.inFlight).toBe(0);
    // And the pool serves B once they are done.
    await expect(db.withTenant(B, (q) => q.one<{ one: number }>('SELECT 1 AS one'))).resolves.toEqual({ one: 1 });
  });
});

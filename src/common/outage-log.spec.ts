import { OutageLog } from './outage-log';

describe('OutageLog', () => {
  function recorder() {
    const lines: Array<{ level: 'warn' | 'log'; fields: Record<string, unknown>; msg: string }> = [];
    const logger = {
      warn: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'warn', fields, msg }),
      log: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'log', fields, msg }),
    };
    return { lines, logger: logger as never };
  }

  it('logs the first failure, then one line per period with the failures counted, then one line on recovery', () => {
    const { lines, logger } = recorder();
    const log = new OutageLog(logger, 'audit flush', 30_000);
    for (let t = 0; t < 60_000; t += 50) log.failed(new Error('connect ECONNREFUSED'), {}, t); // 1200 failures in 60 s
    expect(log.down).toBe(true);
    log.recovered(61_000);
    expect(lines.map((l) => l.level)).toEqual(['warn', 'warn', 'log']);
    expect(lines[0].msg).toMatch(/^audit flush: the database is unavailable/);
    expect(lines[0].fields.err).toBe('connect ECONNREFUSED');
    expect(lines[1].fields).toMatchObject({ failed_attempts: 600, down_s: 30 });
    expect(lines[2]).toMatchObject({ msg: 'audit flush: the database is reachable again; resumed', fields: { down_ms: 61_000 } });
    expect(log.down).toBe(false);
  });

  it('says nothing on success when there was no outage, and starts afresh after a recovery', () => {
    const { lines, logger } = recorder();
    const log = new OutageLog(logger, 'job polling', 30_000);
    log.recovered(0);
    expect(lines).toEqual([]);
    log.failed(new Error('a'), {}, 1000);
    log.recovered(2000);
    log.failed(new Error('b'), {}, 3000);
    expect(lines.map((l) => `${l.level} ${l.fields.err ?? ''}`)).toEqual(['warn a', 'log ', 'warn b']);
  });
});

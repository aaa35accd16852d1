import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

const run = promisify(execFile);

/** The PostgreSQL 15 binaries (Debian/Ubuntu layout; PG_BIN_DIR overrides). */
export const PG_BIN_DIR = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

/** Why a private cluster cannot be made here, or null when it can. */
export function privatePostgresUnavailable(binDir = PG_BIN_DIR): string | null {
  for (const bin of ['initdb', 'pg_ctl', 'pg_basebackup'])
    if (!existsSync(join(binDir, bin))) return `${join(binDir, bin)} not found (set PG_BIN_DIR to a PostgreSQL 15 bin directory)`;
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) return 'running as root and runuser is missing (initdb refuses root)';
  return null;
}

/**
 * A PostgreSQL cluster of the test's own (initdb in a temporary directory, a
 * free port, trust auth on 127.0.0.1), so a test can crash and restart it
 * without touching the shared server every other test uses. As root, the
 * binaries run as the `postgres` OS user (initdb refuses root).
 */
export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly binDir: string,
  ) {}

  /** Superuser URL of the cluster's `postgres` database. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async create(binDir = PG_BIN_DIR): Promise<PrivatePostgres> {
    const pg = await PrivatePostgres.empty(binDir);
    await pg.pg('initdb', ['-D', pg.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync']);
    return pg;
  }

  /**
   * A streaming replica of this (running) cluster: `pg_basebackup -R` into a
   * directory of its own (initdb's trust rules admit replication from
   * 127.0.0.1), on its own port; start() starts it as a hot standby.
   */
  async standby(): Promise<PrivatePostgres> {
    const replica = await PrivatePostgres.empty(this.binDir);
    await replica.pg('pg_basebackup', ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-D', replica.dataDir, '-R', '-X', 'stream', '--no-sync']);
    return replica;
  }

  private static async empty(binDir: string): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'strata-pg-'));
    const pg = new PrivatePostgres(dir, await freePort(), binDir);
    if (process.getuid?.() === 0) chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), Number((await run('id', ['-g', 'postgres'])).stdout.trim()));
    return pg;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  private pg(bin: string, args: string[]) {
    const path = join(this.binDir, bin);
    // initdb and pg_ctl refuse to run as root: drop to the postgres OS user.
    if (process.getuid?.() === 0) return run('runuser', ['-u', 'postgres', '--', path, ...args], { timeout: 60_000 });
    return run(path, args, { timeout: 60_000 });
  }

  /** Starts the server and returns once it accepts connections (pg_ctl -w). */
  async start(): Promise<void> {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`;
    await this.pg('pg_ctl', ['-D', this.dataDir, '-o', opts, '-l', join(this.dir, 'server.log'), '-w', 'start']);
  }

  /** Stops the server; `immediate` is a crash as far as clients can tell (no checkpoint, connections cut). */
  async stop(mode: 'immediate' | 'fast' = 'fast'): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', 'stop']);
  }

  /** Stops the server if it runs and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Settings } from './settings';

/** The key file in DATA_DIR that holds the server's master key (auth/server-keys reads and writes it). */
export const KEY_FILE_NAME = 'secret.key';

/** Why DATA_DIR cannot be used, in words an operator acts on. */
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'the path exists and is not a directory',
  ENOENT: 'a part of the path does not exist',
  ENAMETOOLONG: 'the path is too long',
  EIO: 'input/output error',
};

/** Bytes the probe writes: one PostgreSQL page, so a full disk fails here (creating an empty file may still work). */
const PROBE_BYTES = 8192;

/** DATA_DIR cannot be created or written: start-up stops with this one line (main.ts prints it, exit 1). */
export class DataDirError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(
      `DATA_DIR ${path} is not writable: ${REASONS[code] ?? 'cannot write'} (${code}). ` +
        'The server keeps its embedded database and its key file there: point DATA_DIR at a writable directory with free space, or free some space.',
    );
    this.name = 'DataDirError';
  }
}

/**
 * Whether this start writes to DATA_DIR: the embedded database lives there
 * (no DATABASE_URL), or the key file must be created (TOKEN_SECRET or
 * API_KEY_PEPPER unset and no DATA_DIR/secret.key yet). A DATABASE_URL
 * server with both secrets set, or with a key file already there (it may be
 * mounted read-only), needs no writable DATA_DIR.
 */
export function writesDataDir(s: Pick<Settings, 'dataDir' | 'databaseUrl' | 'tokenSecret' | 'apiKeyPepper'>): boolean {
  if (s.dataDir.startsWith('memory://')) return false;
  if (!s.databaseUrl) return true;
  if (s.tokenSecret && s.apiKeyPepper) return false;
  return !existsSync(resolve(s.dataDir, KEY_FILE_NAME));
}

/** mkdir -p, with the real reason: Node's recursive mkdir reports ENOENT where the parent refused (EROFS, EACCES). */
function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    let missing = dir;
    while (!existsSync(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing);
    mkdirSync(missing, { mode: 0o700 });
    throw err;
  }
}

/**
 * At start-up, before the database opens: creates DATA_DIR if missing and
 * writes, syncs and removes a probe file of one page, so an unwritable, read-only or
 * full DATA_DIR stops the server with a DataDirError naming the path and the
 * reason instead of a failure deep inside the embedded database.
 */
export function assertDataDirWritable(s: Pick<Settings, 'dataDir' | 'databaseUrl' | 'tokenSecret' | 'apiKeyPepper'>): void {
  if (!writesDataDir(s)) return;
  const dir = resolve(s.dataDir);
  const probe = resolve(dir, `.write-probe-${process.pid}`);
  let fd: number | null = null;
  try {
    makeDir(dir);
    fd = openSync(probe, 'w', 0o600);
    writeSync(fd, Buffer.alloc(PROBE_BYTES));
    fsyncSync(fd);
  } catch (err) {
    throw new DataDirError(dir, (err as NodeJS.ErrnoException).code ?? 'UNKNOWN');
  } finally {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(probe);
    } catch {
      /* never created */
    }
  }
}

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertDataDirWritable, DataDirError, KEY_FILE_NAME, writesDataDir } from './data-dir';

describe('DATA_DIR start-up check', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'strata-data-dir-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const base = { dataDir: '', databaseUrl: null as string | null, tokenSecret: null as string | null, apiKeyPepper: null as string | null };

  it('is needed for the embedded database, and with a server only while the key file must still be created', () => {
    expect(writesDataDir({ ...base, dataDir: 'memory://' })).toBe(false);
    expect(writesDataDir({ ...base, dataDir: dir })).toBe(true);
    const server = { ...base, dataDir: dir, databaseUrl: 'postgres://db/strata' };
    expect(writesDataDir({ ...server, tokenSecret: 't'.repeat(32), apiKeyPepper: 'p' })).toBe(false);
    expect(writesDataDir({ ...server, tokenSecret: 't'.repeat(32) })).toBe(true);
    writeFileSync(join(dir, KEY_FILE_NAME), '{}');
    // A key file already there (possibly on a read-only mount) is only read.
    expect(writesDataDir(server)).toBe(false);
  });

  it('creates a missing DATA_DIR and leaves no probe file behind', () => {
    const nested = join(dir, 'a', 'b');
    assertDataDirWritable({ ...base, dataDir: nested });
    expect(readdirSync(nested)).toEqual([]);
  });

  it('refuses a DATA_DIR below a regular file with its absolute path and ENOTDIR', () => {
    writeFileSync(join(dir, 'file'), 'x');
    const path = join(dir, 'file', 'sub');
    expect(() => assertDataDirWritable({ ...base, dataDir: path })).toThrow(DataDirError);
    expect(() => assertDataDirWritable({ ...base, dataDir: path })).toThrow(`DATA_DIR ${path} is not writable: a part of the path is a file, not a directory (ENOTDIR).`);
  });
});

// Jest globalSetup: one fresh PGlite data directory (with pgvector), dumped once per test run, that every
// in-memory test database starts from (PGLITE_TEMPLATE) instead of running initdb itself (2–8 s each).
// Each app still runs every migration on it; only PostgreSQL's own initdb is shared.
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async () => {
  // Made once; not at all when the test databases are on a PostgreSQL server.
  if (process.env.STRATA_TEST_PGLITE_TEMPLATE || process.env.TEST_DATABASE_URL) return;
  const { PGlite } = require('@electric-sql/pglite');
  const { vector } = require('@electric-sql/pglite-pgvector');
  const pglite = await PGlite.create('memory://', { extensions: { vector } });
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  const dir = mkdtempSync(join(tmpdir(), 'strata-pglite-template-'));
  const file = join(dir, 'pgdata.tar');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  process.env.STRATA_TEST_PGLITE_TEMPLATE = file;
};

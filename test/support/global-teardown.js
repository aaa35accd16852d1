// Jest globalTeardown: removes the run's PGlite template (global-setup.js).
const { rmSync } = require('node:fs');
const { dirname } = require('node:path');

module.exports = async () => {
  const file = process.env.STRATA_TEST_PGLITE_TEMPLATE;
  if (file && /strata-pglite-template-/.test(file)) rmSync(dirname(file), { recursive: true, force: true });
};

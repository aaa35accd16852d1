#!/usr/bin/env bash
# Runs the integration and e2e tiers against a real PostgreSQL server with
# pgvector. Each test file creates (and drops) its own database on it.
#   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run test:pg
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  echo "set TEST_DATABASE_URL to a PostgreSQL server with pgvector" >&2
  exit 2
fi
export TEST_DATABASE_URL
# Worker threads (ComputePool) load the compiled worker from dist/, so build first, as `npm test` does.
npm run --silent build
exec node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js --selectProjects integration e2e "$@"

#!/usr/bin/env bash
# The resilience suite on a real PostgreSQL server with pgvector (and Redis at
# TEST_REDIS_URL, default redis://127.0.0.1:6379): replicas agreeing, jobs
# across replica processes, PostgreSQL/Redis/model-provider/disk faults, the
# read replica, and the hostile-input fuzzers. The suites are the files
# matching RESILIENCE_SUITES below; CI runs them here, not in the PostgreSQL leg.
#   npm run test:resilience        (TEST_DATABASE_URL defaults to the local server)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/resilience-suites.sh
source scripts/resilience-suites.sh
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
npm run --silent build
exec node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js --selectProjects e2e --testPathPatterns "$RESILIENCE_SUITES" "$@"

# The resilience suites (test/e2e), as one jest path pattern: sourced by
# scripts/test-resilience.sh (which runs them) and .ci/run (whose PostgreSQL
# leg leaves them to it).
RESILIENCE_SUITES='test/e2e/(replicas-|faults-|read-replica|fuzz-openapi|lightrag-hostile)'

#!/usr/bin/env bats
# services.bats - the Redis and PostgreSQL servers that scripts/test starts
# answer on loopback.  Without them the store suites cannot run, and a suite
# that cannot run is a failure, never a skip.
load helpers

@test "services-001: Redis answers on loopback" {
	[ -n "${FEAT_TEST_REDIS:-}" ] || { echo "FEAT_TEST_REDIS is not set: start the servers with scripts/services"; false; }
	[[ "$FEAT_TEST_REDIS" == redis://127.0.0.1:* ]]
	run redis-cli -u "$FEAT_TEST_REDIS" ping
	[ "$output" = "PONG" ]
}

@test "services-002: PostgreSQL answers on loopback" {
	[ -n "${FEAT_TEST_PG:-}" ] || { echo "FEAT_TEST_PG is not set: start the servers with scripts/services"; false; }
	[[ "$FEAT_TEST_PG" == postgresql://*@127.0.0.1:* ]]
	run psql "$FEAT_TEST_PG" -XAtc 'select 40 + 2'
	[ "$output" = "42" ]
}

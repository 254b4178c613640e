#!/bin/sh
# A cron job: a day of gateway logs, windowed and extracted, into
# PostgreSQL (history, for training sets) and Redis (the latest values,
# for serving) at once; batches a store cannot take while it is down wait
# in the spool and go first on the next run.  Safe to run again over the
# same day: the stores add nothing twice.
#
#   15 0 * * *  /usr/local/share/doc/feat/examples/backfill-day.sh
#   examples/backfill-day.sh 2024-11-16
#
# FEAT_LOGS (default /var/log/gw), FEAT_PG, FEAT_REDIS and FEAT_SPOOL say
# where things are.
set -eu
day=${1:-$(date -u -d yesterday +%Y-%m-%d)}
log=${FEAT_LOGS:-/var/log/gw}/events-$day.ndjson.gz
pg=${FEAT_PG:-postgresql://feat@localhost/features}
redis=${FEAT_REDIS:-redis://127.0.0.1:6379/0}
spool=${FEAT_SPOOL:-/var/lib/feat/spool}

{
	feat-window -p perf_5min --created watermark "$log"
	feat-extract -g static,context "$log"
} | feat-load --to "$pg" --to "$redis" --spool "$spool" --ttl 48h

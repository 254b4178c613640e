#!/bin/sh
# Normalise a day of compressed gateway logs into canonical events, keeping
# prompts out and setting bad lines aside for a look later.
#   examples/normalise-gzip-log.sh events-2024-11-16.ndjson.gz > events.canon
exec feat-extract -g event --drop prompt \
    --on-error="quarantine:${QUARANTINE:-bad-lines.ndjson}" "$@"

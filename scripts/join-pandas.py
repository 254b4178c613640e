#!/usr/bin/python3
# join-pandas.py - the baseline of scripts/bench's join-pandas: the
# point-in-time join a user writes by hand with pandas.merge_asof, reading
# and writing NDJSON, for comparison with feat-join.
#
#   join-pandas.py RECORDS KEY ROWS > JOINED
#
# RECORDS: feature records (one group); ROWS: rows with "ts" and KEY, the
# field holding the entity id.  Each row gets the features of the latest
# record of its entity with ts <= the row's ts, ties by the latest
# created; rows are written in input order.
import sys

import pandas as pd


def main():
    records, key, rows = sys.argv[1], sys.argv[2], sys.argv[3]
    recs = pd.read_json(records, lines=True, dtype=False,
                        convert_dates=False)
    feats = pd.json_normalize(recs["features"].tolist())
    recs = pd.concat([recs[["entity_id", "ts", "created"]], feats], axis=1)
    recs["_rts"] = pd.to_datetime(recs["ts"], utc=True)
    recs["_created"] = pd.to_datetime(recs["created"], utc=True)
    recs = recs.sort_values(["_rts", "_created"], kind="stable")
    recs = recs.drop(columns=["ts", "created", "_created"])

    left = pd.read_json(rows, lines=True, dtype=False, convert_dates=False)
    left["_order"] = range(len(left))
    left["_t"] = pd.to_datetime(left["ts"], utc=True)
    left = left.sort_values("_t", kind="stable")
    out = pd.merge_asof(left, recs, left_on="_t", right_on="_rts",
                        left_by=key, right_by="entity_id",
                        direction="backward", allow_exact_matches=True)
    out = out.sort_values("_order", kind="stable")
    out = out.drop(columns=["_order", "_t", "_rts", "entity_id"])
    out.to_json(sys.stdout, orient="records", lines=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

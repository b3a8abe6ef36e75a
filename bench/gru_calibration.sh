#!/usr/bin/env bash
# Out-of-sample calibration of a GRU intent champion (bench/results/calibration.md, 2026-12-05):
# per seed, a simulated 200k-event history; the first 180k imported and trained on (the GRU
# challenger's maps are fitted on its held-out 18k), the GRU promoted, the last 20k imported,
# and `train --force` scores the champion as predict serves it on those 20k new events — once
# with its gru.calib, once without (raw softmax). Prints ECE first / top-5 and top-1 for each.
# Usage: bench/gru_calibration.sh [MEMORY_BIN] [SEED...]   (needs memory-train beside MEMORY_BIN)
set -euo pipefail
M=${1:-build/memory}
shift || true
SEEDS=${*:-21 7 33}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for seed in $SEEDS; do
  "$M" simulate --events 200000 --seed "$seed" -o "$W/all.jsonl" 2>/dev/null
  for variant in calibrated raw; do
    rm -rf "$W/db"
    head -180000 "$W/all.jsonl" | "$M" --db "$W/db" -q import --format jsonl - >/dev/null
    "$M" --db "$W/db" train --since all --json > "$W/a.json" 2>/dev/null
    v=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print([c["version"] for c in r["candidates"] if c["config"].startswith("gru")][0])' "$W/a.json")
    "$M" --db "$W/db" -q model promote "$v" >/dev/null
    [ "$variant" = raw ] && rm "$W/db/models/intent/$v/gru.calib"
    tail -20000 "$W/all.jsonl" | "$M" --db "$W/db" -q import --format jsonl - >/dev/null
    "$M" --db "$W/db" train --since all --json --force > "$W/b.json" 2>/dev/null
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["candidates"][0]["champion"]; print("seed %s %-10s ECE first %.4f top-5 %.4f top-1 %.4f (%d events)" % (sys.argv[2], sys.argv[3], c["ece_top1"], c["ece_top5"], c["top1"], c["events"]))' "$W/b.json" "$seed" "$variant"
  done
done

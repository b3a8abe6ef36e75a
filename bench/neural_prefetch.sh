#!/usr/bin/env bash
# Learned prefetchers on the predictable LIRS traces (bench/results/neural.md):
# W-TinyLFU with none / successor / markov / neural (GRU) / intent(ppm) prefetching.
# The GRU of each trace is trained by memory-train on the FIRST HALF of that trace (one decimal
# key per line, read as a bash history); results are given on the whole trace and on the held-out
# second half alone (count models then start cold, the GRU keeps what it learned).
#   bash bench/neural_prefetch.sh [BUILD_DIR] [MEMORY_TRAIN]
# GRU_DIR=DIR reuses DIR/<trace>.gru files trained with the same flags instead of training.
set -euo pipefail
BUILD=${1:-build}
TRAIN=${2:-$BUILD/memory-train}
SHARED=${MEMORY_SHARED_DIR:-$(dirname "$0")/../../shared}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
M="$BUILD/memory --db $WORK/db"
declare -A SIZE=([gli]=250 [cs]=300 [loop]=512 [sprite]=100)
declare -A EPOCHS=([gli]=80 [cs]=80 [loop]=3 [sprite]=15)
printf '| trace | size | eval on | prefetch | hit %% | accuracy %% | unknown keys | M acc/s |\n|---|---:|---|---|---:|---:|---:|---:|\n'
for t in gli cs loop sprite; do
  zcat "$SHARED/cache-traces/lirs/$t.trace.gz" | grep -v '^\*' | grep -v '^$' > "$WORK/$t.all"
  n=$(wc -l < "$WORK/$t.all")
  head -n $((n / 2)) "$WORK/$t.all" > "$WORK/$t.half"
  tail -n +$((n / 2 + 1)) "$WORK/$t.all" > "$WORK/$t.second"
  if [[ -n "${GRU_DIR:-}" && -f "$GRU_DIR/$t.gru" ]]; then  # reuse a model trained as below
    cp "$GRU_DIR/$t.gru" "$WORK/$t.gru"
  else
  "$TRAIN" --format bash --out "$WORK/$t.gru" --epochs "${EPOCHS[$t]}" --lr 0.01 --min-count 1 \
    --hidden 128 "$WORK/$t.half" > /dev/null 2>&1
  fi
  half=$((n / 2))
  for p in none successor 'markov(order=3)' "neural(path=$WORK/$t.gru)" 'intent(ppm(order=3))'; do
    for part in all half second; do
      $M eval cache --trace "$WORK/$t.$part" --format lirs --capacity "${SIZE[$t]}" \
        --policy wtinylfu --prefetch "$p" --json > "$WORK/$part.json"
    done
    python3 - "$WORK" "$t" "${SIZE[$t]}" <<'PY'
import json, sys
work, t, size = sys.argv[1:]
r = {part: json.load(open(f"{work}/{part}.json")) for part in ("all", "half", "second")}
name = r["all"]["prefetch"].split("(")[0]
name = {"intent": "intent(ppm(order=3))", "markov": "markov(order=3)"}.get(name, name)
unk = r["all"].get("unknown_keys", "")
def row(on, hit, j):
    print(f"| {t} | {size} | {on} | {name} | {100 * hit:.2f} | {100 * j['prefetch_accuracy']:.1f} | {unk} | {j['accesses_per_s'] / 1e6:.2f} |")
row("whole", r["all"]["hit_ratio"], r["all"])
# The simulation is causal, so the whole run's first half is the half-trace run: its hits on
# the second half (warm: models and cache carry over) are the difference.
warm = (r["all"]["hits"] - r["half"]["hits"]) / (r["all"]["requests"] - r["half"]["requests"])
row("2nd half, warm", warm, r["all"])
row("2nd half, cold", r["second"]["hit_ratio"], r["second"])
PY
  done
done

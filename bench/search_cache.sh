#!/usr/bin/env bash
# Whole-process timings of `memory search` with and without its results cache (cache/search_cache.h)
# on the 1M-event store of bench/whole_process.sh, with hyperfine. Prints medians.
# Usage: bench/search_cache.sh [build/memory] [workdir]
set -euo pipefail
MEM=$(realpath "${1:-build/memory}")
WORK=${2:-$(mktemp -d /tmp/memory-bench-XXXXXX)}
DB=$WORK/store
mkdir -p "$WORK"
export XDG_CONFIG_HOME=$WORK/config MEMORY_SESSION=bench-session
if [ ! -f "$DB/summary.bin" ]; then
  echo "building a 1M-event store in $DB ..."
  "$MEM" --db "$DB" simulate --events 1000000 --seed 7 --to-store
  "$MEM" --db "$DB" optimize
fi
"$MEM" --db "$DB" status | head -3
RUNS=${RUNS:-40}
H="hyperfine -N --warmup 3 --runs $RUNS --export-json"
# Hits: the warm-up runs fill the cache (MEMORY_SEARCH_CACHE=always: saved whatever the search
# cost); the store does not change between runs.
MEMORY_SEARCH_CACHE=always $H "$WORK/hit.json" \
  "$MEM --version" \
  "$MEM --db $DB search --fuzzy 'gco main' --limit 10 --no-cache" \
  "$MEM --db $DB search --fuzzy 'gco main' --limit 10" \
  "$MEM --db $DB search git --limit 20 --no-cache" \
  "$MEM --db $DB search git --limit 20"
# Misses: an event is recorded before every run (the store content token changes), so a cached
# search looks up, misses, searches, and saves (default rule: only when the search cost more than
# the last measured L3 write) or always saves.
for rule in auto always; do
  MEMORY_SEARCH_CACHE=$rule hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/miss-$rule.json" \
    --prepare "$MEM --db $DB record --cmd 'echo bench' --exit 0" \
    "$MEM --db $DB search --fuzzy 'gco main' --limit 10 --no-cache" \
    "$MEM --db $DB search --fuzzy 'gco main' --limit 10" \
    "$MEM --db $DB search git --limit 20 --no-cache" \
    "$MEM --db $DB search git --limit 20"
done
# status reads the saved cache counters: with them, and with no cache directory.
$H "$WORK/status.json" "$MEM --db $DB status --json"
mv "$DB/cache" "$WORK/cache.aside"
$H "$WORK/status-nocache.json" "$MEM --db $DB status --json"
mv "$WORK/cache.aside" "$DB/cache"
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
for name in ["hit", "miss-auto", "miss-always", "status", "status-nocache"]:
    print(f"== {name}")
    for x in json.load(open(f"{w}/{name}.json"))["results"]:
        print(f"{x['command'][-70:]:70s} median {x['median']*1e3:8.2f} ms  (min {x['min']*1e3:.2f}, max {x['max']*1e3:.2f})")
PY

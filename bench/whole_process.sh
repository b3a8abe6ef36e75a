#!/usr/bin/env bash
# Whole-process timings of the fast-path commands on a 1M-event store, with hyperfine.
# Usage: bench/whole_process.sh [build/memory] [workdir]
# Builds the store with the seeded simulator (1,000,000 events), then times `memory --version`
# (the baseline: process start-up), `record`, `status`, `search --fuzzy` (without and with the
# results cache: the repeated query is served from it after warm-up) and `predict`, and the
# bulk import of a 1M-line bash history. Prints medians; see bench/RESULTS.md.
set -euo pipefail
MEM=$(realpath "${1:-build/memory}")
WORK=${2:-$(mktemp -d /tmp/memory-bench-XXXXXX)}
DB=$WORK/store
mkdir -p "$WORK"
export XDG_CONFIG_HOME=$WORK/config MEMORY_SESSION=bench-session
if [ ! -f "$DB/summary.bin" ]; then
  echo "building a 1M-event store in $DB ..."
  "$MEM" --db "$DB" simulate --events 1000000 --seed 7 --to-store
  "$MEM" --db "$DB" optimize   # one file per family, as a long-lived store ends up after compactions
fi
"$MEM" --db "$DB" status | head -4
H="hyperfine -N --warmup 5 --runs ${RUNS:-60} --export-json"
$H "$WORK/fast.json" \
  "$MEM --version" \
  "$MEM --db $DB record --cmd 'ls -la' --exit 0 --duration-ms 3" \
  "$MEM --db $DB search --fuzzy 'gco main' --limit 10 --no-cache" \
  "$MEM --db $DB search --fuzzy 'gco main' --limit 10" \
  "$MEM --db $DB status --json" \
  "$MEM --db $DB predict --context current --json --no-refresh"
# predict when this session's commands are only in RocksDB (nothing spooled): a stored session.
STORED=$("$MEM" --db "$DB" export --format jsonl | grep -v '"bench-session"' | tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["session"])')
MEMORY_SESSION=$STORED $H "$WORK/stored.json" "$MEM --version" "$MEM --db $DB predict --context current --json --no-refresh"
# predict just before a fold: a copy of the store with ~1 MB spooled (5,000 simulated events;
# `record` folds above 1 MB), which every reader merges. The spooled events come after the
# stored ones (the store's period ends in 2026-12), as a live shell's do. (Until 2026-12-06 they
# were spread over the store's period, like a backfill: each then cost readers a seek to check
# that the database does not hold it; `status` took 23 ms there instead of 12.)
if [ ! -d "$WORK/fullspool" ]; then
  cp -r "$DB" "$WORK/fullspool"
  "$MEM" simulate --events 5000 --seed 3 --start 2027-01-04 --out - | "$MEM" --db "$WORK/fullspool" record --json - > /dev/null
fi
$H "$WORK/fullspool.json" "$MEM --version" "$MEM --db $WORK/fullspool predict --context current --json --no-refresh" \
  "$MEM --db $WORK/fullspool search --fuzzy 'gco main' --limit 10 --no-cache" "$MEM --db $WORK/fullspool status --json"
# The fold: the `record` (120 events) that takes that spool over 1 MB moves it into RocksDB.
"$MEM" simulate --events 120 --seed 5 --out "$WORK/fold120.jsonl" > /dev/null
hyperfine --runs ${FOLD_RUNS:-5} --prepare "rm -rf $WORK/fold && cp -r $WORK/fullspool $WORK/fold" \
  "$MEM --db $WORK/fold record --json - < $WORK/fold120.jsonl" --export-json "$WORK/fold.json" > /dev/null
python3 -c "import json; r=json.load(open('$WORK/fold.json'))['results'][0]; print('fold of ~1 MB of spool (record crossing the threshold): median %.3f s' % r['median'])"
python3 - "$WORK/fast.json" "$WORK/stored.json" "$WORK/fullspool.json" <<'PY'
import json, sys
print(f"{'command':70s} {'median ms':>10s} {'x --version':>12s}")
for path in sys.argv[1:]:
    r = json.load(open(path))["results"]
    base = r[0]["median"]
    for x in r:
        print(f"{x['command'][-70:]:70s} {x['median']*1e3:10.2f} {x['median']/base:12.2f}")
PY

# Bulk import: a 1M-line bash history with timestamps, generated from the simulator.
if [ ! -f "$WORK/history.bash" ]; then
  "$MEM" simulate --events 1000000 --seed 11 --out - \
    | python3 -c 'import json,sys
for l in sys.stdin:
    e=json.loads(l); c=e.get("command") or e.get("tool")
    if "\n" not in c: print("#%d\n%s" % (e["ts"]//1000000, c))' > "$WORK/history.bash"
fi
hyperfine -N --runs ${IMPORT_RUNS:-3} --prepare "rm -rf $WORK/import" \
  "$MEM --db $WORK/import import --format bash $WORK/history.bash" --export-json "$WORK/import.json"
python3 -c "import json; r=json.load(open('$WORK/import.json'))['results'][0]; print('import 1M bash events: median %.2f s = %.0f events/s' % (r['median'], 1e6/r['median']))"
# The same history again, into the store the last run left: every line is known (by id, or held
# by a live record: the scan of each batch's time span in cli/cmd_import.cpp).
hyperfine -N --runs ${IMPORT_RUNS:-3} "$MEM --db $WORK/import import --format bash $WORK/history.bash" \
  --export-json "$WORK/reimport.json"
python3 -c "import json; r=json.load(open('$WORK/reimport.json'))['results'][0]; print('import the same 1M bash events again: median %.2f s' % r['median'])"

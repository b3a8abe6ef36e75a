#!/usr/bin/env bash
# `memory predict --stream` on an agent-like replay: the contexts of the newest sessions of a
# store, step by step (each line = that session's commands so far), as an agent asks at every
# step; with its actor, step number (events of the session seen in the replay) and the gap since
# its previous step, for the model's session row. Prints answers/s and how answers were served
# (miss / hit / prefetched), and the one-shot `predict --context -` process time for comparison.
# Usage: bench/predict_stream.sh [build/memory] [store dir, e.g. the 1M store of whole_process.sh] [steps]
set -euo pipefail
MEM=$(realpath "${1:-build/memory}")
DB=${2:?store directory}
STEPS=${3:-20000}
WORK=$(mktemp -d /tmp/memory-stream-XXXXXX)
"$MEM" --db "$DB" export --format jsonl | tail -n "$STEPS" | python3 -c '
import json, sys
hist, last = {}, {}
for l in sys.stdin:
    e = json.loads(l)
    s = e.get("session", ""); h = hist.setdefault(s, [])
    ctx = {"cwd": e.get("cwd", ""), "history": h[-8:], "last_exit": 0,
           "actor": e.get("actor", "human"), "step": len(h)}
    if s in last: ctx["gap_s"] = max(0, e.get("ts", 0) - last[s]) / 1e6
    print(json.dumps(ctx))
    h.append(e.get("command") or e.get("tool")); last[s] = e.get("ts", 0)' > "$WORK/contexts.jsonl"
# Cold cache: the predict answers of earlier runs (L3 in <db>/cache) would all be hits. Only run
# this on a benchmark store: it deletes the store's cache directory.
rm -rf "$DB/cache"
start=$(date +%s.%N)
"$MEM" --db "$DB" -q predict --context - --stream --no-refresh < "$WORK/contexts.jsonl" > "$WORK/answers.jsonl"
end=$(date +%s.%N)
python3 - "$WORK/answers.jsonl" "$start" "$end" <<'PY'
import json, sys, collections
c = collections.Counter(json.loads(l).get("cache", "error") for l in open(sys.argv[1]))
n = sum(c.values()); t = float(sys.argv[3]) - float(sys.argv[2])
print(f"stream: {n} answers in {t:.2f} s = {n/t:.0f} answers/s ({1e6*t/n:.0f} us each, process start included)")
for k in ("miss", "hit", "prefetched"):
    print(f"  {k:10s} {c[k]:7d} {100*c[k]/n:5.1f} %")
PY
head -n 1 "$WORK/contexts.jsonl" > "$WORK/one.json"
# (Debian's hyperfine has no --input: the shell redirects; hyperfine subtracts the shell's start.)
hyperfine --warmup 3 --runs 30 "$MEM --db $DB predict --context - --json --no-refresh < $WORK/one.json" \
  --export-json "$WORK/one.json.out" >/dev/null 2>&1
python3 -c "import json; r=json.load(open('$WORK/one.json.out'))['results'][0]; print('one-shot predict --context -: median %.2f ms per answer' % (r['median']*1e3))"
rm -rf "$WORK"

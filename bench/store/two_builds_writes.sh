#!/usr/bin/env bash
# Two builds of `memory` side by side on the same writes: a large import, then small imports
# into the store each build made, alternating builds, then reads of both stores (hyperfine).
#
#   bench/store/two_builds_writes.sh OLD_MEMORY NEW_MEMORY HISTORY [WORK_DIR]
#
# HISTORY is a bash history with `#<epoch>` lines (e.g. 1M events). Prints the import times
# (two rounds per build), the level-0 files per family after the import and after 12 two-line
# imports (ldb), the two-line imports' median time per build, and read timings.
set -euo pipefail
old=${1:?usage: two_builds_writes.sh OLD NEW HISTORY [WORK_DIR]}
new=${2:?usage: two_builds_writes.sh OLD NEW HISTORY [WORK_DIR]}
history=${3:?usage: two_builds_writes.sh OLD NEW HISTORY [WORK_DIR]}
work=${4:-$(mktemp -d)}
level0() {
  ldb --db="$1/db" list_live_files_metadata 2>/dev/null | awk '/Column Family/ {cf=$4}
    /level 0/ {l0=1} /level 1 / {l0=0} /\.sst/ && l0 {c[cf]++}
    END {for (k in c) printf "%s=%d ", k, c[k]; print ""}'
}
for round in 1 2; do
  for b in old new; do
    bin=$old; [ $b = new ] && bin=$new
    rm -rf "$work/$b"
    /usr/bin/time -f "import $b round $round: %e s, %M KB" "$bin" --db "$work/$b" import --format bash "$history" -q
  done
done
for b in old new; do echo "level 0 after the import, $b: $(level0 "$work/$b")"; done
times="$work/times.txt"
: > "$times"
for r in $(seq 1 12); do
  for b in old new; do
    bin=$old; [ $b = new ] && bin=$new
    printf 'echo small-%s-%s\ngit status\n' "$r" "$RANDOM" > "$work/small.hist"
    /usr/bin/time -f "$b %e" -a -o "$times" "$bin" --db "$work/$b" import --format bash "$work/small.hist" -q
  done
done
python3 - "$times" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    build, t = line.split()
    runs.setdefault(build, []).append(float(t))
for build, v in sorted(runs.items()):
    print(f"two-line imports, {build}: median {statistics.median(v):.3f} s of {len(v)} ({min(v):.2f}-{max(v):.2f})")
PY
for b in old new; do echo "level 0 after the small imports, $b: $(level0 "$work/$b")"; done
hyperfine -N -w 3 -r 30 "$new --db $work/old search git --limit 5" "$new --db $work/new search git --limit 5" \
  "$new --db $work/old predict --context current" "$new --db $work/new predict --context current" 2>&1 |
  grep -E "Benchmark|Time"

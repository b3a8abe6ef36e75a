#!/bin/bash
# Readers while writers compact, back up, forget and record: counts every process's exit code
# and prints the distinct error messages. A healthy build shows readers (status, search, predict,
# export) exiting 0 only, and writers 0 or 3 (busy: another writer held the store too long).
#
#   bench/store/concurrent_stress.sh [MEMORY_BINARY] [SECONDS] [EVENTS]
#   defaults: build/memory 60 200000; works in a fresh temporary directory.
set -u
M=$(realpath "${1:-build/memory}"); SECS=${2:-60}; EVENTS=${3:-200000}
W=$(mktemp -d /tmp/memory-stress.XXXXXX); D=$W/store
trap 'rm -rf "$W"' EXIT
"$M" --db "$D" simulate --events "$EVENTS" --seed 3 --to-store >/dev/null 2>&1 || { echo "simulate failed"; exit 1; }
end=$((SECONDS + SECS))
( while [ $SECONDS -lt $end ]; do "$M" --db "$D" optimize >/dev/null 2>>"$W/w.err"; echo "optimize $?" >>"$W/w.codes"; done ) &
( n=0; while [ $SECONDS -lt $end ]; do n=$((n + 1))
    "$M" --db "$D" backup "$W/bk$n" >/dev/null 2>>"$W/w.err"; echo "backup $?" >>"$W/w.codes"; rm -rf "$W/bk$n"
    "$M" --db "$D" forget --yes --pattern "nomatch-$n*" >/dev/null 2>>"$W/w.err"; echo "forget $?" >>"$W/w.codes"
  done ) &
( while [ $SECONDS -lt $end ]; do for i in $(seq 50); do
    "$M" --db "$D" record --cmd "ls $RANDOM" --exit 0 >/dev/null 2>>"$W/w.err"; echo "record $?" >>"$W/w.codes"
  done; done ) &
( while [ $SECONDS -lt $end ]; do
    for c in "status --json" "search --regex ^git --limit 3" "search --cwd /home/u1 ls --limit 3" \
             "predict --context current --json" "export --out $W/export.jsonl"; do
      # shellcheck disable=SC2086
      "$M" --db "$D" $c >/dev/null 2>>"$W/r.err"; echo "${c%% *} $?" >>"$W/r.codes"
    done
  done ) &
wait
echo "writers (command exit-code: count)"; sort "$W/w.codes" | uniq -c
echo "readers"; sort "$W/r.codes" | uniq -c
echo "messages other than progress:"
grep -hv "^optimized\|^backup written\|^forgot\|^deleted\|^exported\|no command matches\|^$" "$W/w.err" "$W/r.err" | sort | uniq -c | sort -rn | head -20

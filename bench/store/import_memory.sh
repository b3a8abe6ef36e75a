#!/bin/bash
# Peak memory and time of `memory import` on a generated bash history (with timestamps), for one
# or more builds, runs alternating between them. Prints the median wall time and peak RSS per build.
#
#   bench/store/import_memory.sh EVENTS RUNS MEMORY_BINARY...
#   e.g. bench/store/import_memory.sh 1000000 3 /tmp/old/build/memory build/memory
set -eu
EVENTS=$1; RUNS=$2; shift 2
W=$(mktemp -d /tmp/memory-import.XXXXXX)
trap 'rm -rf "$W"' EXIT
python3 - "$EVENTS" > "$W/history.bash" <<'PY'
import random, sys
random.seed(1)
cmds = ["ls -la", "git status", "cd src", "make -j2", "vim main.cpp", "git commit -m 'x %d'",
        "grep -rn foo .", "python3 run.py --n %d", "cat file%d.txt", "ssh host%d"]
t = 1600000000
out = sys.stdout
for i in range(int(sys.argv[1])):
    t += random.randint(1, 100)
    c = random.choice(cmds)
    if "%d" in c:
        c = c % random.randint(0, 100000)
    out.write("#%d\n%s\n" % (t, c))
PY
echo "history: $EVENTS events, $(du -h "$W/history.bash" | cut -f1)"
for r in $(seq "$RUNS"); do
  for m in "$@"; do
    rm -rf "$W/db"
    /usr/bin/time -f "%e %M" -o "$W/t" "$m" --db "$W/db" import --format bash "$W/history.bash" --quiet
    echo "$m $(cat "$W/t")" >> "$W/results"
  done
done
python3 - "$W/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m, secs, kb = line.split()
    rows.setdefault(m, []).append((float(secs), int(kb)))
for m, v in rows.items():
    print("%-50s median %.2f s, peak RSS %.0f MB (%d runs)" % (m, statistics.median(s for s, _ in v),
          statistics.median(k for _, k in v) / 1024, len(v)))
PY

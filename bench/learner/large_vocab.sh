#!/usr/bin/env bash
# Count models on histories of mostly distinct command lines, as real bash histories with arguments
# are (the public Purdue and Schonlau sets hold command names only).
#
#   bench/learner/large_vocab.sh MEMORY [OLD_MEMORY] [LINES_PER_USER]
#
# Writes two seeded histories (bash format, LINES_PER_USER lines each, default 150,000): half the
# lines from five frequent commands, 30 % `vim src/file_N.c` over 100,001 files, 20 % a commit with
# a unique message (the generator is a plain LCG in awk, so every awk gives the same files). Then
# `memory eval intent --format bash --jobs 2 --model M` for each model; with OLD_MEMORY, both
# binaries alternately, and whether their results (everything but the timings) are identical.
set -euo pipefail
new=${1:?usage: large_vocab.sh MEMORY [OLD_MEMORY] [LINES_PER_USER]}
old=${2:-}
lines=${3:-150000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for u in 0 1; do
  awk -v n="$lines" -v seed=$((u + 1)) 'BEGIN {
    x = seed; split("ls|git status|make|cd ..|git diff", cmds, "|")
    for (i = 0; i < n; i++) {
      x = (x * 16807) % 2147483647; r = x % 10
      if (r < 5) { x = (x * 16807) % 2147483647; print cmds[1 + x % 5] }
      else if (r < 8) { x = (x * 16807) % 2147483647; print "vim src/file_" (x % 100001) ".c" }
      else print "git commit -m '\''fix bug " i "'\''"
    }
  }' > "$dir/user$u.history"
done
echo "histories: 2 x $lines lines, $(cat "$dir"/user*.history | sort -u | wc -l) distinct"
summary() {  # JSON on stdin -> "top1 top5 M/s md5-of-results"
  python3 -c '
import hashlib, json, sys
d = json.load(sys.stdin)
def strip(o):
    if isinstance(o, dict): return {k: strip(v) for k, v in o.items() if k not in ("seconds", "events_per_s", "pretrain")}
    if isinstance(o, list): return [strip(v) for v in o]
    return o
print("top1 %.4f top5 %.4f %8.3f M/s results %s" % (d["top1"], d["top5"], d["events_per_s"] / 1e6,
      hashlib.md5(json.dumps(strip(d), sort_keys=True).encode()).hexdigest()[:12]))'
}
for m in mfu "markov(order=1)" "ipam(alpha=0.8)" "ppm(order=3)" "ppm(order=6)" best; do
  for bin in $old $new; do
    printf '%-18s %-6s ' "$m" "$([ "$bin" = "$new" ] && echo new || echo old)"
    "$bin" eval intent --format bash --jobs 2 --model "$m" "$dir"/user0.history "$dir"/user1.history --json | summary
  done
done

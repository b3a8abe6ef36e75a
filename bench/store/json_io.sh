#!/usr/bin/env bash
# JSON lines in and out: `memory import --format jsonl` and `memory export --format jsonl` of
# 300,000 simulated events (tags on every line, agent tool calls with flat params), of the same
# events with a float, an array and an object added to every tool call's params, and of those
# split into 10 files; with hyperfine, medians. Given a second binary (an older build), both are
# timed in the same run, alternating.
#   bench/store/json_io.sh MEMORY [OLD_MEMORY]
# Figures: bench/RESULTS.md (JSON-lines import and export, session 19).
set -euo pipefail
new=$(realpath "${1:?usage: json_io.sh MEMORY [OLD_MEMORY]}")
old=${2:+$(realpath "$2")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$new" simulate --events 300000 --seed 5 --out "$work/sim.jsonl" > /dev/null
python3 - "$work/sim.jsonl" "$work/agent.jsonl" <<'PY'
import json, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        e = json.loads(line)
        if "params" in e:
            e["params"].update({"temperature": 0.25, "files": ["src/a.cc", "src/b.h"],
                                "opts": {"depth": 2, "follow": True}})
        out.write(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n")
PY
mkdir "$work/split"
split -n l/10 -d --additional-suffix=.jsonl "$work/agent.jsonl" "$work/split/part"
"$new" --db "$work/exported" import --format jsonl "$work/sim.jsonl" -q
cmds=()
for input in sim.jsonl agent.jsonl split; do
  for bin in $old $new; do cmds+=("$bin --db $work/db import --format jsonl $work/$input -q"); done
done
for bin in $old $new; do cmds+=("$bin --db $work/exported export --format jsonl --out $work/out.jsonl -q"); done
hyperfine -N --runs "${RUNS:-7}" --prepare "rm -rf $work/db" --export-json "$work/times.json" "${cmds[@]}" > /dev/null
python3 - "$work/times.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['median']:8.3f} s  {r['command']}")
PY

#!/usr/bin/env bash
# Policies against ARC on the public traces at sizes other than the README table's: a check that
# what was tuned on the 45 reference rows holds between them.
#
#   bench/cache/other_sizes.sh MEMORY TRACES_DIR SIZES SPEC...
#
# TRACES_DIR is ../shared/cache-traces; SIZES a comma-separated list of capacities (e.g.
# 600,800,1200,1400,1700). Every trace but scarab-recs (ten LIRS traces, the three cache2k
# traces, corda) is replayed at every size with `MEMORY eval cache --json` for ARC and each SPEC
# (a policy, or POLICY+PREFETCH); for each SPEC one line says on how many rows its hit ratio is
# >= ARC's (to 0.005 points), its mean, and the rows below ARC.
set -euo pipefail
memory=${1:?usage: other_sizes.sh MEMORY TRACES_DIR SIZES SPEC...}
dir=${2:?usage: other_sizes.sh MEMORY TRACES_DIR SIZES SPEC...}
sizes=${3:?usage: other_sizes.sh MEMORY TRACES_DIR SIZES SPEC...}
shift 3
[ $# -gt 0 ] || { echo "other_sizes.sh: give at least one policy SPEC" >&2; exit 2; }
python3 - "$memory" "$dir" "$sizes" "$@" <<'PY'
import json, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
memory, folder, sizes, specs = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3].split(",")], sys.argv[4:]
traces = [(f"lirs/{n}.trace.gz", "lirs") for n in
          ["2_pools", "cpp", "cs", "gli", "loop", "multi1", "multi3", "scan", "sprite", "zigzag"]]
traces += [(f"cache2k/{n}.trace.xz", "cache2k") for n in ["orm-busy", "orm-night", "web07"]]
traces += [("corda/trace_vaultservice.gz", "corda")]
def hit_ratio(job):
    path, fmt, cap, spec = job
    policy, _, prefetch = spec.partition("+")
    out = subprocess.run([memory, "eval", "cache", "--trace", f"{folder}/{path}", "--format", fmt,
                          "--capacity", str(cap), "--policy", policy, "--prefetch", prefetch or "none",
                          "--json"], capture_output=True, text=True, check=True).stdout
    return 100 * json.loads(out)["hit_ratio"]
jobs = [(t, f, c, p) for t, f in traces for c in sizes for p in ["arc"] + specs]
with ThreadPoolExecutor(2) as pool:
    hr = dict(zip(jobs, pool.map(hit_ratio, jobs)))
rows = [(t, f, c) for t, f in traces for c in sizes]
name = lambda t: t.split("/")[1].split(".")[0]
for p in specs:
    below = [(name(t), c, hr[(t, f, c, p)] - hr[(t, f, c, "arc")]) for t, f, c in rows
             if hr[(t, f, c, p)] < hr[(t, f, c, "arc")] - 0.005]
    mean = sum(hr[(t, f, c, p)] for t, f, c in rows) / len(rows)
    print(f"{p}: ge={len(rows) - len(below)}/{len(rows)} mean={mean:.3f} below={sum(d for *_, d in below):.2f} |",
          " ".join(f"{t}@{c} {d:+.2f}" for t, c, d in below))
PY

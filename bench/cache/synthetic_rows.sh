#!/usr/bin/env bash
# W-TinyLFU against ARC on synthetic traces: a check of the cache policies on a population of
# access patterns that none of the public traces (and none of the tuning) saw.
#
#   bench/cache/synthetic_rows.sh MEMORY SEED SPEC...
#
# Writes nine seeded traces of 400,000 keys (`lines` format) into a temporary folder: Zipf over
# 50,000 keys with s = 0.6, 0.9, 1.2; Zipf 0.9 with half the requests one-hit wonders (zipfohw);
# a loop of 2,400 keys; a hot set of 3,000 keys with scans of 3,000 new keys (hotscan); eight
# phases of Zipf 1.0 over 20,000 keys whose popularity order is reshuffled each phase and whose
# key range moves by 5,000 (shift); an LRU-stack model with mean reuse depth 300 (lrustack); keys
# requested in short bursts and then never again (burst). Each is replayed with
# `MEMORY eval cache --format lines --json` at 100, 500, 750, 1,000, 2,000, 3,000 and 6,000
# entries for ARC and for each SPEC, and for each SPEC one line says on how many of the 63 rows its
# hit ratio is >= ARC's (to 0.005 points), its mean, and the rows below ARC.
# Seeds 1 and 2 give the same kind of traces with different keys and orders.
# A SPEC of the form POLICY+PREFETCH (e.g. 'wtinylfu+markov') replays with `--prefetch PREFETCH`.
# ROWS_JSON=FILE also writes every row's hit ratio (%) as {"TRACE@SIZE|SPEC": ratio, ...}.
# TRACES_DIR=DIR keeps the nine traces there (DIR/NAME.txt) instead of in a temporary folder.
set -euo pipefail
memory=${1:?usage: synthetic_rows.sh MEMORY SEED SPEC...}
seed=${2:?usage: synthetic_rows.sh MEMORY SEED SPEC...}
shift 2
[ $# -gt 0 ] || { echo "synthetic_rows.sh: give at least one policy SPEC" >&2; exit 2; }
if [ -n "${TRACES_DIR:-}" ]; then
  dir=$TRACES_DIR
  mkdir -p "$dir"
else
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
fi
python3 - "$memory" "$seed" "$dir" "$@" <<'PY'
import bisect, json, os, random, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
memory, seed, folder, specs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
rng, n = random.Random(seed), 400000

def zipf(keys, s):
    cum, t = [], 0.0
    for i in range(keys):
        t += 1.0 / (i + 1) ** s
        cum.append(t)
    order = list(range(keys))
    rng.shuffle(order)
    return lambda: order[bisect.bisect_left(cum, rng.random() * t)]

def hotscan():
    hot, out, fresh = zipf(3000, 0.9), [], 10**7
    while len(out) < n:
        if rng.random() < 0.002:
            out += range(fresh, fresh + 3000)
            fresh += 3000
        else:
            out.append(hot())
    return out[:n]

def shift():
    out = []
    for phase in range(8):
        z = zipf(20000, 1.0)
        out += [z() + 5000 * phase for _ in range(n // 8)]
    return out

def zipf_one_hit_wonders():
    z, fresh, out = zipf(50000, 0.9), 10**8, []
    for _ in range(n):
        if rng.random() < 0.5:
            out.append(z())
        else:
            out.append(fresh)
            fresh += 1
    return out

def lru_stack():
    stack, out, fresh = [], [], 0
    for _ in range(n):
        if stack and rng.random() < 0.8:
            depth = min(int(rng.expovariate(1 / 300)), len(stack) - 1)
            key = stack.pop(len(stack) - 1 - depth)
        else:
            key, fresh = fresh, fresh + 1
        stack.append(key)
        out.append(key)
        if len(stack) > 20000:
            stack.pop(0)
    return out

def bursts():
    out, fresh, active = [], 0, []
    for _ in range(n):
        if rng.random() < 0.3 or not active:
            active.append([fresh, rng.randint(2, 10)])
            fresh += 1
            if len(active) > 200:
                active.pop(0)
        i = rng.randrange(len(active))
        out.append(active[i][0])
        active[i][1] -= 1
        if active[i][1] <= 0:
            active.pop(i)
    return out

makers = {
    "zipf0.6": lambda: (lambda z: [z() for _ in range(n)])(zipf(50000, 0.6)),
    "zipf0.9": lambda: (lambda z: [z() for _ in range(n)])(zipf(50000, 0.9)),
    "zipf1.2": lambda: (lambda z: [z() for _ in range(n)])(zipf(50000, 1.2)),
    "zipfohw": zipf_one_hit_wonders,
    "loop2400": lambda: [i % 2400 for i in range(n)],
    "hotscan": hotscan,
    "shift": shift,
    "lrustack": lru_stack,
    "burst": bursts,
}
for name, make in makers.items():
    with open(f"{folder}/{name}.txt", "w") as f:
        f.write("\n".join(map(str, make())) + "\n")

caps = [100, 500, 750, 1000, 2000, 3000, 6000]
def hit_ratio(job):
    name, cap, spec = job
    policy, _, prefetch = spec.partition("+")
    out = subprocess.run([memory, "eval", "cache", "--trace", f"{folder}/{name}.txt", "--format", "lines",
                          "--capacity", str(cap), "--policy", policy, "--prefetch", prefetch or "none",
                          "--json"],
                         capture_output=True, text=True, check=True).stdout
    return 100 * json.loads(out)["hit_ratio"]
jobs = [(t, c, p) for t in makers for c in caps for p in ["arc"] + specs]
with ThreadPoolExecutor(2) as pool:
    hr = dict(zip(jobs, pool.map(hit_ratio, jobs)))
rows = [(t, c) for t in makers for c in caps]
if os.environ.get("ROWS_JSON"):
    with open(os.environ["ROWS_JSON"], "w") as f:
        json.dump({f"{t}@{c}|{p}": v for (t, c, p), v in hr.items()}, f, indent=0)
for p in specs:
    below = [(t, c, hr[(t, c, p)] - hr[(t, c, "arc")]) for t, c in rows if hr[(t, c, p)] < hr[(t, c, "arc")] - 0.005]
    mean = sum(hr[(t, c, p)] for t, c in rows) / len(rows)
    print(f"{p}: ge={len(rows) - len(below)}/{len(rows)} mean={mean:.3f} below={sum(d for *_, d in below):.2f} |",
          " ".join(f"{t}@{c} {d:+.2f}" for t, c, d in below))
PY

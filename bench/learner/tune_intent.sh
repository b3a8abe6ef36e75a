#!/usr/bin/env bash
# Population tuning of next-command model specs (helper "accuracy").
# Usage: bench/learner/tune_intent.sh MEMORY_BIN BASELINE_SPEC SPEC...
# For each SPEC: micro top-1/top-5 on Purdue PU and Schonlau SEA (online protocol, `memory eval
# intent`), and per-user top-1/top-5 gains against BASELINE_SPEC over all 29 users (4 Purdue +
# 25 Schonlau): mean gain, users that gain / lose, worst and best user gain, and the leave-one-out
# view of Purdue (each Purdue user's own gain).
set -euo pipefail
bin=${1:?memory binary}; base=${2:?baseline spec}; shift 2
shared=${MEMORY_SHARED:-/work/shared/data}
out=${TUNE_OUT:-$(mktemp -d)}
run() {  # spec tag
  local spec=$1 tag=$2
  [[ -s $out/$tag.pu.json ]] || "$bin" eval intent --format purdue "$shared/purdue-pu" --model "$spec" --json > "$out/$tag.pu.json"
  [[ -s $out/$tag.sea.json ]] || "$bin" eval intent --format schonlau "$shared/schonlau-sea" --model "$spec" --json > "$out/$tag.sea.json"
}
tag_of() { printf '%s' "$1" | md5sum | cut -c1-12; }
bt=$(tag_of "$base"); run "$base" "$bt"
for spec in "$@"; do
  t=$(tag_of "$spec"); run "$spec" "$t"
  python3 - "$out/$bt" "$out/$t" "$spec" <<'PY'
import json, sys
b, t, spec = sys.argv[1:4]
def load(p):
    j = json.load(open(p))
    return j, {u['user'] if 'user' in u else u.get('name'): u for u in j['per_user']}
res = []
line = []
for ds in ('pu', 'sea'):
    jb, ub = load(f'{b}.{ds}.json'); jt, ut = load(f'{t}.{ds}.json')
    line.append(f"{ds} {jt['top1']:.4f}/{jt['top5']:.4f} ({jt['top1']-jb['top1']:+.4f}/{jt['top5']-jb['top5']:+.4f})")
    for u in ub:
        res.append((ds, u, ut[u]['top1'] - ub[u]['top1'], ut[u]['top5'] - ub[u]['top5']))
g1 = [r[2] for r in res]; g5 = [r[3] for r in res]
pu = [f"{r[2]:+.4f}" for r in res if r[0] == 'pu']
print(f"{spec}\n  {'  '.join(line)}  eps={jt['events_per_s']/1e6:.2f}M\n"
      f"  29 users top1 mean {sum(g1)/len(g1):+.5f} gain/lose {sum(x>0 for x in g1)}/{sum(x<0 for x in g1)} "
      f"min {min(g1):+.4f} max {max(g1):+.4f} | top5 mean {sum(g5)/len(g5):+.5f} gain/lose {sum(x>0 for x in g5)}/{sum(x<0 for x in g5)}"
      f" | purdue users top1 {' '.join(pu)}")
PY
done

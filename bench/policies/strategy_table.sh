#!/usr/bin/env bash
# Every strategy x data set with `memory eval bandit` (mean PV loss over seeds), as a markdown
# table for bench/results/bandit.md. Usage: strategy_table.sh MEMORY_BIN SHARED_DIR [SEEDS]
set -euo pipefail
bin=${1:?memory binary}; shared=${2:?shared dir}; seeds=${3:-5}
sets=(iris.csv wine.csv digits.csv synth5.csv.gz letter26.csv.gz nl2bash)
policies=(
  "linucb(alpha=0.3)/auto()"
  "thompson(scale=0.3)/auto()"
  "greedy/ridge"
  "egreedy(epsilon=0.05)/ridge"
  "squarecb(gamma=10)/ridge"
  "greedy/linear"
  "egreedy(epsilon=0.05)/linear"
  "egreedy(epsilon=0.1)/linear"
  "efirst(n=100)/linear"
  "softmax(lambda=10)/linear"
  "squarecb(gamma=10)/linear"
  "bag(n=4)/linear"
  "cover(n=4)/linear"
  "linucb(alpha=0.01)/linear(init=1,lr=1)"
)
printf '| policy | %s |\n' "$(IFS='|'; echo "${sets[*]}" | sed 's/|/ | /g')"
printf '|---%s|\n' "$(printf '|---%.0s' "${sets[@]}")"
for p in "${policies[@]}"; do
  row="| \`$p\` |"
  for s in "${sets[@]}"; do
    n=$seeds
    if [[ $s == nl2bash ]]; then
      args=(--format nl2bash --data "$shared/data/nl2bash")
      [[ $p == cover* || $p == bag* ]] && n=1   # 368 actions: these are slow here
      [[ $n -gt 3 ]] && n=3
    else
      args=(--format csv --data "$shared/cb-data/$s")
      [[ $s == letter26* && $p == cover* ]] && n=2
    fi
    out=$("$bin" -q eval bandit "${args[@]}" --policy "$p" --runs "$n" --no-supervised --json)
    row+=" $(jq -r '"\(.pv_loss*1000|round/1000) ± \(.pv_loss_sd*1000|round/1000)"' <<<"$out") |"
  done
  echo "$row"
done

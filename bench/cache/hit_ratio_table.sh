#!/usr/bin/env bash
# Prints the markdown hit-ratio table of bench/results/cache.md: every trace in
# ../shared/cache-traces at the reference sizes, for each policy / prefetch column below.
# Usage: bench/cache/hit_ratio_table.sh [MEMORY_BIN] [SHARED_DIR]
set -euo pipefail
BIN=${1:-./build/memory}
DIR=${2:-../shared/cache-traces}
COLUMNS=("lru|none" "arc|none" "min|none" "wtinylfu|none" "wtinylfu(adapt=ghost,window=0.01)|none"
         "wtinylfu(adapt=climb,window=0.01)|none"
         "lru|successor" "wtinylfu|successor" "wtinylfu|markov")
TRACES=(
  "gli lirs/gli.trace.gz 250,1000,2000" "cpp lirs/cpp.trace.gz 100,300,600"
  "cs lirs/cs.trace.gz 100,300,600" "sprite lirs/sprite.trace.gz 100,500,1000"
  "multi1 lirs/multi1.trace.gz 200,800,1600" "multi3 lirs/multi3.trace.gz 400,1600,3200"
  "2_pools lirs/2_pools.trace.gz 100,450,1000" "loop lirs/loop.trace.gz 256,512,1000"
  "zigzag lirs/zigzag.trace.gz 500,1000,1500" "scan lirs/scan.trace.gz 500,1000,1500"
  "web07 cache2k/web07.trace.xz 1000,5000,20000" "orm-busy cache2k/orm-busy.trace.xz 1000,5000,20000"
  "orm-night cache2k/orm-night.trace.xz 1000,5000,20000" "corda corda/trace_vaultservice.gz 256,512,1024"
  "scarab-recs scarab/scarab-recs.trace.xz 25000,50000,100000")
header="| trace | size |"; rule="|---|---:|"
for c in "${COLUMNS[@]}"; do
  p=${c%%|*}; f=${c##*|}
  [[ $f == none ]] && header+=" $p |" || header+=" $p + $f |"
  rule+="---:|"
done
echo "$header"; echo "$rule"
for t in "${TRACES[@]}"; do
  read -r name rel sizes <<<"$t"
  for size in ${sizes//,/ }; do
    row="| $name | $size |"
    for c in "${COLUMNS[@]}"; do
      p=${c%%|*}; f=${c##*|}
      out=$("$BIN" -q eval cache --trace "$DIR/$rel" --capacity "$size" --policy "$p" --prefetch "$f")
      hr=$(awk '/^hit ratio/ {print $3}' <<<"$out")
      acc=$(sed -n 's/.*(accuracy \([0-9.]*\) %.*/\1/p' <<<"$out")
      [[ -n $acc ]] && row+=" $hr ($acc) |" || row+=" $hr |"
    done
    echo "$row"
  done
done

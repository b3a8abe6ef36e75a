#!/usr/bin/env bash
# Reads the markdown table printed by hit_ratio_table.sh (stdin) and, for every column after
# `arc`, counts the rows where the column is >= arc (to the two printed decimals) and lists
# the rows below arc with the gap in points.
# Usage: bench/cache/hit_ratio_table.sh BIN DIR | bench/cache/vs_arc.sh
set -euo pipefail
awk -F'|' '
  function num(s) { gsub(/\(.*\)/, "", s); gsub(/ /, "", s); return s + 0 }
  NR == 1 { for (i = 2; i < NF; ++i) { name[i] = $i; gsub(/^ +| +$/, "", name[i]); if (name[i] == "arc") a = i } n = NF; next }
  NR == 2 { next }
  {
    row = $2 "@" $3; gsub(/ /, "", row); ++rows
    for (i = a + 1; i < n; ++i) {
      if (name[i] == "min") continue
      d = num($i) - num($a)
      if (d > -0.005) ++ge[i]; else { miss[i] = miss[i] sprintf(" %s %+.2f;", row, d); sum[i] += d }
    }
  }
  END {
    for (i = a + 1; i < n; ++i) if (name[i] != "min")
      printf("%s: >= arc on %d of %d rows; below (points):%s total %.2f\n", name[i], ge[i], rows, miss[i] == "" ? " none;" : miss[i], sum[i])
  }'

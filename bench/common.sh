# Helpers shared by the bench/ scripts (sourced; expects RUNS and TMP to be set).

# median of numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# run CMD... RUNS times; print "median_seconds median_max_rss_kib"
measure() {
  local t="$TMP/times" m="$TMP/rss"; : >"$t"; : >"$m"
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$TMP/one" "$@" >/dev/null 2>"$TMP/err" || { cat "$TMP/err" >&2; exit 1; }
    read -r s k <"$TMP/one"; echo "$s" >>"$t"; echo "$k" >>"$m"
  done
  echo "$(median <"$t") $(median <"$m")"
}

# run CMD... once (output discarded); print its wall clock in seconds
once() {
  local t0 t1; t0=$(date +%s.%N)
  "$@" >/dev/null 2>"$TMP/err" || { cat "$TMP/err" >&2; exit 1; }
  t1=$(date +%s.%N); echo "$t1 - $t0" | bc
}

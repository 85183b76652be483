#!/usr/bin/env bash
# Runs every cmocka test binary given, prints a closing "N passed, N failed"
# line over binaries, and fails when any binary failed.
set -u
passed=0; failed=0; failed_names=()
for t in "$@"; do
  echo "== $t"
  if "$t"; then passed=$((passed+1)); else failed=$((failed+1)); failed_names+=("$t"); fi
done
echo
[ $failed -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

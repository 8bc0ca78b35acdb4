#!/bin/sh
# Every symbol the shared library exports must carry the dedup_ prefix.
# Usage: test-symbols.sh LIBRARY
lib=$1
echo "1..1"
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v '^dedup_' || true)
count=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/' | grep -c 'dedup_')
if [ -z "$bad" ] && [ "$count" -gt 20 ]; then
    echo "ok 1 - $count exported symbols, all with the dedup_ prefix"
else
    echo "not ok 1 - exported symbols without the dedup_ prefix (or too few: $count):"
    echo "$bad" | sed 's/^/# /'
    exit 1
fi

#!/usr/bin/env bash
# The fault tests under load: tests/workflows/test_faults.py (or the pytest arguments given) with
# two CPU-bound busy loops running beside it for the whole run, on a machine that may already be
# busy. The busy loops are started here and always killed on the way out (also on Ctrl-C).
#
#   bench/loaded_run.sh [PYTEST ARGS…]      (default: tests/workflows/test_faults.py)
#   make test-faults-loaded
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
BUSY=${BUSY:-2}
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(tests/workflows/test_faults.py)

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for _ in $(seq 1 "$BUSY"); do
  "$PY" -c "while True: pass" &
  pids+=("$!")
done
echo "busy loops: ${pids[*]}; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
rc=0
"$PY" -m pytest -q -p no:cacheprovider --durations=0 "${args[@]}" || rc=$?
end=$(date +%s)
echo "pytest exit $rc in $((end - start)) s beside $BUSY busy loop(s); load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$rc"

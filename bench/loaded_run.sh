#!/usr/bin/env bash
# The fault tests under load: tests/workflows/test_faults.py (or the pytest arguments given) with
# two CPU-bound busy loops running beside it for the whole run, on a machine that may already be
# busy. The busy loops are started here and always killed on the way out, after pytest (also on
# Ctrl-C or SIGTERM: pytest is then interrupted and tears its fixtures down first).
#
#   bench/loaded_run.sh [PYTEST OPTIONS…] [TESTS…]   (no TESTS: tests/workflows/test_faults.py;
#                                                    an option with a value in one word: -kEXPR)
#   make test-faults-loaded
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
BUSY=${BUSY:-2}
args=("$@")
tests=0
for a in "${args[@]}"; do [[ "$a" == -* ]] || tests=1; done
[ "$tests" = 1 ] || args+=(tests/workflows/test_faults.py)

pids=()
run=""
cleanup() {
  # pytest first (SIGINT: its fixtures tear down), then the busy loops
  if [ -n "$run" ] && kill -0 "$run" 2>/dev/null; then
    kill -INT "$run" 2>/dev/null || true
    wait "$run" 2>/dev/null || true
  fi
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
# in the background, so that a SIGTERM to this script reaches the trap at once; a background job
# starts with SIGINT ignored: Python's KeyboardInterrupt handler is put back, for the clean-up's INT
"$PY" -c 'import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler)
import pytest; sys.exit(pytest.main(sys.argv[1:]))' \
  -q -p no:cacheprovider --durations=0 "${args[@]}" &
run=$!
wait "$run" || rc=$?
run=""
end=$(date +%s)
echo "pytest exit $rc in $((end - start)) s beside $BUSY busy loop(s); load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$rc"

#!/usr/bin/env bash
# The whole test suite, as `make test` runs it (usage: scripts/run_tests.sh [workers] [pytest args]).
#
# Part 1 runs every test but the timed fault drills on pytest-xdist workers, each with its own
# embedded PostgreSQL and broker, with work stealing (`--dist worksteal`): a worker that runs out of
# tests takes half of another's queue. The default (`load`) never moves a test once sent, and left one
# worker running ~1,100 s of queued integration tests behind the long end-to-end ones while the
# others sat idle (docs/benchmarks.md, "The test suite"). Part 2 runs the drills marked `solo` (broker and PostgreSQL
# outages under load, kill -9 of the whole stack) one at a time once part 1 is over: they give the
# system fixed times to recover, which they keep on a quiet machine and not always beside two
# other workers' stacks on two cores. Between them the two parts run every test once.
# One worker (TEST_WORKERS=1, and always against external servers) runs everything in one serial pass.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
workers=${1:-3}
shift $(( $# > 0 ? 1 : 0 ))

if [ "$workers" = 1 ] || [ -n "${ORDERPULSE_TEST_DATABASE_URL:-}${ORDERPULSE_TEST_KAFKA_BOOTSTRAP:-}" ]; then
    echo "==> the whole suite, serially (about 27 minutes on two cores)"
    exec "$PY" -m pytest "$@"
fi

started=$(date +%s)
echo "==> part 1 of 2: every test but the timed fault drills, on $workers workers"
"$PY" -m pytest -n "$workers" --dist worksteal -m "not solo" "$@"
part1=$?
echo "==> part 2 of 2: the timed fault drills (marked solo), one at a time"
"$PY" -m pytest -m solo "$@"
part2=$?
elapsed=$(( $(date +%s) - started ))
echo "==> test suite: part 1 exit code $part1, part 2 exit code $part2, $((elapsed / 60)) min $((elapsed % 60)) s in all"
[ "$part1" -eq 0 ] && [ "$part2" -eq 0 ]

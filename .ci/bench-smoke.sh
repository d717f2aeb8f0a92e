#!/usr/bin/env bash
# The benchmarks as a smoke: each one at N = 2,000 against PostgreSQL (database cas_bench_ci,
# Redis db 7), briefly. Fails on any error (a non-2xx answer under load, a breach later than
# 120 s, a failed transition); the figures themselves are for docs/benchmarks.md, not CI.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$(pwd)/.venv/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$PY" -m pip install -q -e '.[bench]'

export BENCH_PG_SERVER="${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432/}"
export BENCH_REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/7}"
export CAS_DATA_DIR="$(mktemp -d)"
unset DATABASE_URL
DB=cas_bench_ci
start=$(date +%s)
run() { printf '\n---- %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; "$PY" -m "$@"; }

run bench.seed --n 2000 --open 500 --db "$DB" --fresh
run bench.transitions --n 2000 --db "$DB"
run bench.api_load --seed 2000 --open 500 --duration 20 --db "$DB" --port 18711
run bench.sweep --n 2000 --due 200 --repeat 1
run bench.notify_latency --n 50
run bench.timer_storm --seed 2000 --open 1000 --clocks 300 --lead 15 --db "$DB"
printf '\nbench smoke: done in %ss\n' "$(( $(date +%s) - start ))"

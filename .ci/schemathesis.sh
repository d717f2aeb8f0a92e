#!/usr/bin/env bash
# Fuzz the HTTP API with schemathesis against its own OpenAPI schema (/api/schema/).
#
# Starts the app under gunicorn on a fresh SQLite database in a temporary CAS_DATA_DIR,
# seeds the demo users, and runs schemathesis as authenticated users (an agent, who may
# write, then an ERO officer and an auditor) with two checks: no 5xx answer and every answer
# matching its documented schema. Exits non-zero on any failure. Options live in
# .ci/schemathesis.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY="${PY:-$ROOT/.venv/bin/python}"
PORT="${CAS_FUZZ_PORT:-18100}"
BASE="http://127.0.0.1:$PORT"
MAX_EXAMPLES="${CAS_FUZZ_EXAMPLES:-10}"

data=$(mktemp -d)
unset DATABASE_URL CELERY_BROKER_URL CACHE_URL
export CAS_DATA_DIR="$data" CAS_DEPLOYMENT=embedded
# The fuzzer sends hundreds of requests a minute as one user: lift the per-user limit here
# (throttling itself is covered by the test suite).
export CAS_USER_RATE=1000000/min CAS_ANON_RATE=1000000/min

"$PY" manage.py migrate -v0
password="fuzz-$(date +%s)-Pass"
"$PY" manage.py seed_demo --password "$password" >/dev/null

"$PY" -m gunicorn config.wsgi --bind "127.0.0.1:$PORT" --workers 2 --timeout 60 \
  --access-logfile "$data/access.log" >"$data/gunicorn.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
trap cleanup EXIT

for _ in $(seq 1 60); do
  curl -fsS "$BASE/api/schema/" -o /dev/null 2>/dev/null && break
  sleep 1
done
curl -fsS "$BASE/api/schema/" -o "$data/schema.yaml"

token_for() {
  curl -fsS -X POST "$BASE/api/v1/auth/token/" -H 'Content-Type: application/json' \
    -d "{\"username\": \"$1\", \"password\": \"$password\"}" |
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

status=0
fuzz() {
  local user=$1
  shift
  local token
  token=$(token_for "$user")
  echo "---- schemathesis as $user"
  # Run from the temporary folder so the fuzzer's cache stays out of the work tree.
  (cd "$data" && "$(dirname "$PY")/schemathesis" --config-file "$ROOT/.ci/schemathesis.toml" \
    run "$BASE/api/schema/" \
    -H "Authorization: Token $token" \
    --checks not_a_server_error,response_schema_conformance \
    --max-examples "$MAX_EXAMPLES" --seed 20261129 "$@") || status=1
}

# Budget (~5 minutes): the systematic coverage phase (boundaries, wrong types, huge ids)
# and random fuzzing for the case API; random fuzzing only for the rest, as an agent (who may
# call nearly everything); then the ERO officer's transitions and the auditor's log.
CASE_API='^/api/v1/(auth|units|cases|audit)/'
fuzz agent_ept --include-path-regex "$CASE_API"
fuzz agent_ept --exclude-path-regex "$CASE_API" --phases fuzzing --max-examples 10
fuzz ero_elp --include-path-regex '/(accept|reject|transfer|release)/$'
fuzz auditor_hq --include-path-regex '^/api/v1/(audit/reads/|cases/[^/]+/)$'

if grep -q ' 500 \| 502 \| 503 ' "$data/access.log"; then
  echo "server errors in the access log:"
  grep ' 50[0-9] ' "$data/access.log" | head -20
  status=1
fi
if [ "$status" -ne 0 ]; then
  tail -50 "$data/gunicorn.log"
fi
exit "$status"

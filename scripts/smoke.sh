#!/usr/bin/env bash
# The README quick start as an end-to-end check: `npm start` on embedded PGlite (fresh data dir),
# then the first calls from the README with curl, then stop. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${SMOKE_PORT:-4799}
dir=$(mktemp -d)
log="$dir/server.log"
# Its own process group, so stopping it stops npm and both node processes together.
PATRON_DATA_DIR="$dir/data" PORT=$port LOG_LEVEL=warn setsid npm start >"$log" 2>&1 &
pid=$!
cleanup() { kill -TERM -- "-$pid" 2>/dev/null || true; sleep 1; kill -KILL -- "-$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 1 180); do
  grep -q "Secret key:" "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "smoke: server exited"; exit 1; }
  sleep 1
done
key=$(grep -o 'sk_[A-Za-z0-9]*' "$log" | head -1)
[ -n "$key" ] || { cat "$log"; echo "smoke: no key printed"; exit 1; }
base="http://127.0.0.1:$port"
auth="Authorization: Bearer $key"
curl -fsS "$base/healthz" | grep -q '"ok"'
curl -fsS "$base/readyz" | grep -q '"ready"'
curl -fsS "$base/openapi.json" | grep -q '"openapi":"3.1.0"'
curl -fsS -H "$auth" "$base/v1/customers?limit=1" | grep -q '"nextCursor"'
curl -fsS -X POST -H "$auth" -H 'content-type: application/json' "$base/v1/events" \
  -d '{"id":"smoke-1","type":"order.completed","customerId":"smoke-customer","data":{"orderId":"smoke-o1","currency":"VND","lines":[{"sku":"LAT","quantity":2,"unitPrice":55000}]}}' \
  | grep -q '"pointsEarned":110'
curl -fsS -X POST -H "$auth" -H 'content-type: application/json' -H 'Idempotency-Key: smoke-adj-1' "$base/v1/customers/smoke-customer/adjustments" \
  -d '{"amount":25,"reason":"smoke test"}' >/dev/null
curl -fsS -H "$auth" "$base/v1/customers/smoke-customer/balances" | grep -q '"available":25,"pending":110'
# The demo's breakfast combo prices a latte and a croissant at 75,000.
curl -fsS -X POST -H "$auth" -H 'content-type: application/json' "$base/v1/carts/evaluate" \
  -d '{"lines":[{"sku":"LAT","category":"coffee","quantity":1,"unitPrice":55000},{"sku":"CRO","category":"bakery","quantity":1,"unitPrice":32000}],"trace":false}' | grep -q '"total":75000'
# The demo's tiers: a year of orders has made some customers Silver or Gold.
curl -fsS -H "$auth" "$base/v1/tier-changes?limit=5" | grep -q '"kind":"upgrade"'
echo "smoke: README quick start works (npm start on PGlite, demo loaded, first calls answered)"

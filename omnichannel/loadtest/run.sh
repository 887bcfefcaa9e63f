#!/usr/bin/env bash
# Runs the omnichannel load tests against the binary on loopback, as recorded in
# docs/benchmarks.md. Usage: [NO_BUILD=1] omnichannel/loadtest/run.sh [conns|rtt|webhooks|all]
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# NO_BUILD=1 reuses the binaries of the previous run (when another package does not build).
# BIN and LOADTEST name the binaries (default /tmp/ioc1022-bench and /tmp/oc-loadtest).
BIN=${BIN:-/tmp/ioc1022-bench}
LOADTEST=${LOADTEST:-/tmp/oc-loadtest}
if [ -z "${NO_BUILD:-}" ]; then
  go build -o "$BIN" ./cmd/ioc1022
  go build -o "$LOADTEST" ./omnichannel/loadtest
fi
DATA=$(mktemp -d)
PORT=${PORT:-18080}
export IOC1022_CHANNELS_WIDGET_SECRET=bench-widget-secret
export IOC1022_CHANNELS_FACEBOOK_APP_SECRET=bench-app-secret
export IOC1022_CHANNELS_FACEBOOK_VERIFY_TOKEN=bench-verify
export IOC1022_CHANNELS_FACEBOOK_GRAPH_URL=http://127.0.0.1:9/unused
export IOC1022_CHANNELS_MAX_OPEN_PER_AGENT=100000
export IOC1022_LOG_LEVEL=warn
export IOC1022_PBX_LISTEN=${PBX_LISTEN:-127.0.0.1:0} # the PBX's SIP port may be taken by another run
"$BIN" serve --demo --http 127.0.0.1:$PORT --data "$DATA" >"$DATA/node.log" 2>&1 &
NODE=$!
# On exit: stop the node (SIGTERM) and report how long its shutdown took.
stop_node() {
  local t0=$(date +%s.%N)
  kill $NODE 2>/dev/null && wait $NODE 2>/dev/null
  echo "node stopped $(echo "$(date +%s.%N) - $t0" | bc) s after SIGTERM; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  rm -rf "$DATA"
}
trap stop_node EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done
URL=http://127.0.0.1:$PORT
# Wait until the node is idle (start-up work such as the chatbot's model training done): its
# CPU time grows by less than 0.3 s in 2 s, at most 5 minutes.
cpu() { curl -sf "$URL/metrics" | awk '/^process_cpu_seconds_total /{print $2}'; }
prev=$(cpu); for _ in $(seq 1 150); do
  sleep 2; now=$(cpu); [ "$(echo "$now - $prev < 0.3" | bc)" = 1 ] && break; prev=$now
done
echo "node idle after start; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
case "${1:-all}" in
  conns) "$LOADTEST" -mode conns -url $URL -conns "${CONNS:-10000}" ;;
  rtt) "$LOADTEST" -mode rtt -url $URL -rate "${RATE:-2000}" -visitors "${VISITORS:-400}" -duration "${DURATION:-20s}" ${HANDOFF:+-handoff} ;;
  webhooks) "$LOADTEST" -mode webhooks -url $URL -workers "${WORKERS:-32}" -duration "${DURATION:-20s}" ;;
  all)
    "$LOADTEST" -mode conns -url $URL -conns "${CONNS:-10000}"
    "$LOADTEST" -mode rtt -url $URL -rate "${RATE:-2000}" -visitors "${VISITORS:-400}" -duration "${DURATION:-20s}"
    "$LOADTEST" -mode webhooks -url $URL -workers "${WORKERS:-32}" -duration "${DURATION:-20s}" ;;
esac

#!/usr/bin/env bash
# PBX benchmarks (docs/benchmarks.md, PBX section). SIPp on the same machine, loopback,
# bounded runs (-m and -timeout). Runs, in one go:
#   1. clean CPS ladder: the bare diago IVR (pbx/bench/baseline) and the real binary's full
#      path (IVR menu, call record, call.* events, store writes), same SIPp scenario;
#   2. RTP pacing of the prompts at PACE_RATE CPS, captured on lo with dumpcap, read with
#      tshark -z rtp,streams and the per-packet gaps (p99, max);
#   3. CONC concurrent calls against each;
#   4. BRIDGES concurrent agent <-> trunk bridges with RTP both ways through the real binary;
# with CPU seconds per call and RSS per concurrent call of the server process.
#
# Usage (from the repository root): pbx/bench/run.sh [out-dir]
# PBX_BENCH_BIN=path uses that binary instead of building ./cmd/ioc1022.
# ONLY_BRIDGES=1 runs the bridges alone; ONLY_CPS=1 the clean CPS ladder alone, then checks
# that the node wrote one call record per call SIPp made (records_check); ONLY_PACE=1 the RTP
# pacing pair alone. STORE=process runs the embedded store as its own process (`ioc1022 store`,
# the node reaches it through IOC1022_MONGODB_URI) instead of inside the node.
# The node answers at once (IOC1022_PBX_ANSWER_AFTER=0), as the baseline does.
# Knobs (env): RATES="100 200 300 400 600" STEP_S=10 CONC=2500 BRIDGES=500 PACE_RATE=100
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${1:-$(mktemp -d /tmp/pbxbench.XXXX)}
mkdir -p "$OUT"
RATES=${RATES:-"100 200 300 400 600"}
STEP_S=${STEP_S:-10}
CONC=${CONC:-2500}
BRIDGES=${BRIDGES:-500}
PACE_RATE=${PACE_RATE:-100}
PROMPT=invalid # 1.78 s, both servers play the same file
PROMPT_MS=1778
SF=$ROOT/pbx/bench/sipp
BL_SIP=127.0.0.1:5070
PBX_SIP=127.0.0.1:5062
HTTP=127.0.0.1:8099
PASS=bench-admin-password

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/summary.txt"
go build -o "$OUT/baseline" ./pbx/bench/baseline
if [ -n "${PBX_BENCH_BIN:-}" ]; then cp "$PBX_BENCH_BIN" "$OUT/ioc1022"; else go build -o "$OUT/ioc1022" ./cmd/ioc1022; fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# cpu_s PID: user+system CPU seconds of a process and its children so far.
cpu_s() {
	local t=0 p
	for p in $1 $(pgrep -P "$1" || true); do
		[ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat)))
	done
	echo "scale=3; $t / $(getconf CLK_TCK)" | bc
}
rss_kb() { awk '/VmRSS/{print $2}' /proc/$1/status; }

# watch PID FILE: samples RSS (kB) every second into FILE until killed.
watch_rss() { while kill -0 "$1" 2>/dev/null; do rss_kb "$1" >>"$2"; sleep 1; done; }

# stat FILE COLUMN: a column of the last line of a SIPp -trace_stat file.
stat() {
	awk -F';' -v col="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==col) c=i} END{print $c}' "$1"
}
# create_rate FILE M: calls created per second until the M-th call was created.
create_rate() {
	awk -F';' -v m="$2" 'NR==1{for(i=1;i<=NF;i++){if($i=="TotalCallCreated")t=i; if($i=="ElapsedTime(C)")e=i}}
		NR>1 && $t>=m && !done {split($e,a,":"); s=a[1]*3600+a[2]*60+a[3]; printf "%.0f", m/(s>0?s:1); done=1}
		END{if(!done) print "n/a"}' "$1"
}
# peak FILE: highest CurrentCall of a SIPp -trace_stat file.
peak() { awk -F';' 'NR==1{for(i=1;i<=NF;i++) if($i=="CurrentCall") c=i} NR>1 && $c>m {m=$c} END{print m+0}' "$1"; }

# sipp_run NAME TARGET ARGS...: one bounded SIPp run; stats in $OUT/NAME.csv.
sipp_run() {
	local name=$1 target=$2
	shift 2
	(cd "$OUT" && timeout 600 sipp "$target" -nostdin -i 127.0.0.1 -trace_stat -stf "$name.csv" -fd 1 \
		-trace_err -error_file "$name.err" "$@" >"$name.out" 2>&1) || true
}

start_baseline() {
	"$OUT/baseline" --sip $BL_SIP --prompt pbx/prompts/vi/$PROMPT.wav >"$OUT/baseline.log" 2>&1 &
	BL=$!
	pids+=("$BL")
	sleep 1
}
start_pbx() {
	local data
	data=$(mktemp -d)
	if [ "${STORE:-}" = process ]; then
		"$OUT/ioc1022" store --data "$data/store" --listen 127.0.0.1:0 >"$OUT/store.log" 2>&1 &
		pids+=("$!")
		for _ in $(seq 60); do grep -q "serving mongodb://" "$OUT/store.log" && break; sleep 1; done
		export IOC1022_MONGODB_URI
		IOC1022_MONGODB_URI=$(grep -o 'mongodb://[^ ]*' "$OUT/store.log" | head -1)
	fi
	IOC1022_ADMIN_PASSWORD=$PASS IOC1022_PBX_RATE_PER_SOURCE=${1:-50} IOC1022_LOG_LEVEL=warn \
		IOC1022_PBX_ANSWER_AFTER=${ANSWER_AFTER:-0} "$OUT/ioc1022" --demo --sip $PBX_SIP --http $HTTP --data "$data" >"$OUT/pbx.log" 2>&1 &
	PBX=$!
	pids+=("$PBX")
	for _ in $(seq 60); do curl -sf "http://$HTTP/healthz" >/dev/null 2>&1 && break; sleep 1; done
	TOKEN=$(curl -sf "http://$HTTP/api/v1/auth/login" -H 'Content-Type: application/json' \
		-d "{\"username\":\"admin\",\"password\":\"$PASS\"}" | jq -r .token)
	# DID 1099: menu "bench" plays the prompt, key 1 hangs up with a beep (0.4 s); the demo
	# trunk dials out to the bench trunk on 127.0.0.1:5090.
	curl -sf "http://$HTTP/api/v1/pbx/dialplan" -H "Authorization: Bearer $TOKEN" |
		jq --arg p $PROMPT '.trunks[0].dids += [{number:"1099",menu:"bench"}] | .trunks[0].outbound="127.0.0.1:5090"
			| .menus += [{name:"bench",prompt:$p,timeout_s:30,options:{"1":{kind:"hangup",target:"beep"}}}]' >"$OUT/dialplan.json"
	curl -sf -X PUT "http://$HTTP/api/v1/pbx/dialplan" -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' --data-binary @"$OUT/dialplan.json" >/dev/null
}
# stop PID: SIGTERM, then SIGKILL after 30 s (a node whose store writes lag can take long).
stop() {
	local t0=$SECONDS
	kill "$1" 2>/dev/null || true
	for _ in $(seq 30); do kill -0 "$1" 2>/dev/null || break; sleep 1; done
	echo "pid $1 exited $((SECONDS - t0)) s after SIGTERM (or was killed at 30 s)" | tee -a "$OUT/summary.txt"
	if kill -0 "$1" 2>/dev/null; then
		echo "(pid $1 still running 30 s after SIGTERM: killed)" | tee -a "$OUT/summary.txt"
		kill -9 "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
	grep -c "call records (retrying)" "$OUT/pbx.log" | sed 's/^/call record write commands that failed and were retried in this node: /' | tee -a "$OUT/summary.txt" || true
	grep -c "call records not written at shutdown" "$OUT/pbx.log" | sed 's/^/call records not written at shutdown (log lines): /' | tee -a "$OUT/summary.txt" || true
}

# metric NAME: a metric of the node.
metric() { curl -sf "http://$HTTP/metrics" | awk -v n="$1" '$1==n{print $2}'; }

# records_check: after the CPS ladder, waits (at most 120 s) for the node's call-record queue to
# drain, then compares the calls SIPp made (and those that failed: refused with 503 by
# pbx.max_calls before any record) with the records the node wrote (pbx_call_records_inserted_total).
# RECORDS_SCAN=1 also reads every record back through GET /api/v1/calls (500 a page; slow: each
# page is a scan on the embedded store, ~30 s a page with 15,000 records on a loaded machine).
records_check() {
	local calls=0 failed=0 r b="" cursor="" total=0 ended=0 page t0=$SECONDS
	for r in $RATES; do
		calls=$((calls + $(stat "$OUT/pbx-$r.csv" "TotalCallCreated")))
		failed=$((failed + $(stat "$OUT/pbx-$r.csv" "FailedCall(C)")))
	done
	for _ in $(seq 120); do
		b=$(metric pbx_call_record_backlog)
		[ "$b" = "0" ] && break
		sleep 1
	done
	echo "records: SIPp made $calls calls to ioc1022, $failed failed; pbx_call_records_inserted_total" \
		"$(metric pbx_call_records_inserted_total) (backlog $b after $((SECONDS - t0)) s);" \
		"record write commands failed and retried $(metric pbx_call_record_write_failures_total);" \
		"calls refused for a full record queue $(metric pbx_calls_refused_record_backlog_total)"
	[ -n "${RECORDS_SCAN:-}" ] || return 0
	while :; do
		page=$(curl -sf "http://$HTTP/api/v1/calls?limit=500${cursor:+&cursor=$cursor}" -H "Authorization: Bearer $TOKEN")
		total=$((total + $(jq '.items|length' <<<"$page")))
		ended=$((ended + $(jq '[.items[]|select(.ended_at!=null)]|length' <<<"$page")))
		cursor=$(jq -r '.next_cursor // empty' <<<"$page")
		[ -z "$cursor" ] && break
	done
	echo "records read back: $total call records in the store, $ended with ended_at"
}

# ivr_step NAME TARGET RATE CALLS: one IVR run; prints a table row.
ivr_step() {
	local name=$1 target=$2 rate=$3 m=$4 pid=$5 c0 c1 r0
	c0=$(cpu_s "$pid")
	sipp_run "$name" "$target" -sf "$SF/ivr.xml" -s "$6" -p 5080 -mp 6000 -r "$rate" -m "$m" \
		-d $((PROMPT_MS + 300)) -timeout 300s -timeout_error
	c1=$(cpu_s "$pid")
	local ok failed retrans
	ok=$(stat "$OUT/$name.csv" "SuccessfulCall(C)")
	failed=$(stat "$OUT/$name.csv" "FailedCall(C)")
	retrans=$(stat "$OUT/$name.csv" "Retransmissions(C)")
	printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$7" "$rate" "$(create_rate "$OUT/$name.csv" "$m")" "$m" "$ok" \
		"$failed" "$retrans" "$(peak "$OUT/$name.csv")" "$(echo "scale=2; ($c1 - $c0) * 1000 / $m" | bc)"
}

# pacing NAME TARGET SERVICE: prompts' RTP at PACE_RATE captured on lo (dst port 6000).
pacing() {
	local name=$1
	dumpcap -q -i lo -f "udp dst port 6000" -a duration:$((STEP_S + 4)) -w "$OUT/$name.pcapng" 2>/dev/null &
	local cap=$!
	sleep 1
	sipp_run "$name" "$2" -sf "$SF/ivr.xml" -s "$3" -p 5080 -mp 6000 -r "$PACE_RATE" -m $((PACE_RATE * STEP_S)) \
		-d $((PROMPT_MS + 300)) -timeout 300s -timeout_error
	wait $cap || true
	tshark -r "$OUT/$name.pcapng" -d udp.port==6000,rtp -q -z rtp,streams >"$OUT/$name.streams.txt" 2>/dev/null
	tshark -r "$OUT/$name.pcapng" -d udp.port==6000,rtp -Y 'rtp.p_type==0 || rtp.p_type==8' -T fields \
		-e rtp.ssrc -e frame.time_epoch >"$OUT/$name.times.txt" 2>/dev/null
	python3 - "$OUT/$name.times.txt" "$OUT/$name.streams.txt" <<'EOF'
import sys
# Gaps between consecutive packets of one stream (SSRC). The IVR sends no RTP between two
# prompts (the prompt, then the beep after the key 300 ms later): a gap of 250 ms or more
# starts a new prompt and is counted apart, not as pacing.
last, gaps, pauses = {}, [], 0
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) != 2: continue
    s, t = f[0], float(f[1])
    if s in last:
        g = (t - last[s]) * 1000
        if g >= 250: pauses += 1
        else: gaps.append(g)
    last[s] = t
gaps.sort()
maxd = []
for line in open(sys.argv[2]):
    f = line.split()
    # tshark rtp,streams rows: start end src port dst port ssrc payload pkts lost (pct) min mean MAX ...
    if len(f) >= 17 and f[2].count('.') == 3:
        try: maxd.append(float(f[13]))
        except ValueError: pass
maxd.sort()
p = lambda a, q: a[min(len(a) - 1, int(q * len(a)))] if a else float('nan')
print(f"{len(last)} streams, {len(gaps)} gaps: p50 {p(gaps, .5):.1f} ms, p99 {p(gaps, .99):.1f} ms, "
      f"p99.9 {p(gaps, .999):.1f} ms, max {gaps[-1] if gaps else float('nan'):.1f} ms ({pauses} silences of 250 ms or more "
      f"between prompts left out); tshark rtp,streams Max Delta per stream: median {p(maxd, .5):.1f} ms, "
      f"worst {maxd[-1] if maxd else float('nan'):.1f} ms")
EOF
}

# concurrent NAME TARGET SERVICE PID LABEL: CONC calls held ~20 s, ramped at CONC/10 per second.
concurrent() {
	local name=$1 pid=$4 c0 c1 idle
	idle=$(rss_kb "$pid")
	: >"$OUT/$name.rss"
	watch_rss "$pid" "$OUT/$name.rss" &
	local w=$!
	c0=$(cpu_s "$pid")
	sipp_run "$name" "$2" -sf "$SF/ivr.xml" -s "$3" -p 5080 -mp 6000 -r $((CONC / 10)) -m "$CONC" -l "$CONC" \
		-d 20000 -timeout 300s -timeout_error -max_socket 10000
	c1=$(cpu_s "$pid")
	kill $w 2>/dev/null || true
	local top pk
	top=$(sort -n "$OUT/$name.rss" | tail -1)
	pk=$(peak "$OUT/$name.csv")
	printf "| %s | %s | %s | %s | %s | %s | %s MB | %s kB | %s |\n" "$5" "$CONC" "$pk" "$(stat "$OUT/$name.csv" "SuccessfulCall(C)")" \
		"$(stat "$OUT/$name.csv" "FailedCall(C)")" "$(stat "$OUT/$name.csv" "Retransmissions(C)")" "$((top / 1024))" \
		"$(((top - idle) / (pk > 0 ? pk : 1)))" "$(echo "scale=2; ($c1 - $c0) * 1000 / $CONC" | bc)"
}

if [ -n "${ONLY_PACE:-}" ]; then
	start_baseline
	start_pbx
	{
		echo
		echo "### RTP pacing of the prompt at $PACE_RATE CPS (PBX → caller, dumpcap on lo, tshark; store: ${STORE:-in the node})"
		echo "- baseline: $(pacing pace-bl $BL_SIP 1022)"
		echo "- ioc1022: $(pacing pace-pbx $PBX_SIP 1099)"
	} | tee -a "$OUT/summary.txt"
	stop "$BL"
	stop "$PBX"
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/summary.txt"
	echo "results in $OUT"
	exit 0
fi

if [ -z "${ONLY_BRIDGES:-}" ]; then
{
	echo
	echo "### Clean CPS (each rate for ${STEP_S} s)"
	echo "| server | target CPS | achieved CPS | calls | ok | failed | retransmissions | peak concurrent | CPU ms/call |"
	echo "|---|---|---|---|---|---|---|---|---|"
} | tee -a "$OUT/summary.txt"
start_baseline
start_pbx
for r in $RATES; do
	ivr_step "bl-$r" $BL_SIP "$r" $((r * STEP_S)) "$BL" 1022 baseline | tee -a "$OUT/summary.txt"
	sleep 3
	ivr_step "pbx-$r" $PBX_SIP "$r" $((r * STEP_S)) "$PBX" 1099 "ioc1022 --demo" | tee -a "$OUT/summary.txt"
	sleep 3
done
records_check | tee -a "$OUT/summary.txt"
if [ -n "${ONLY_CPS:-}" ]; then
	stop "$BL"
	stop "$PBX"
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/summary.txt"
	echo "results in $OUT"
	exit 0
fi

{
	echo
	echo "### RTP pacing of the prompt at $PACE_RATE CPS (PBX → caller, dumpcap on lo, tshark)"
	echo "- baseline: $(pacing pace-bl $BL_SIP 1022)"
	echo "- ioc1022: $(pacing pace-pbx $PBX_SIP 1099)"
	echo
	echo "### $CONC concurrent calls (ramp $((CONC / 10))/s, each held 20 s before the key)"
	echo "| server | target | peak concurrent | ok | failed | retransmissions | peak RSS | RSS per call | CPU ms/call |"
	echo "|---|---|---|---|---|---|---|---|---|"
} | tee -a "$OUT/summary.txt"
concurrent conc-bl $BL_SIP 1022 "$BL" baseline | tee -a "$OUT/summary.txt"
stop "$BL"
concurrent conc-pbx $PBX_SIP 1099 "$PBX" "ioc1022 --demo" | tee -a "$OUT/summary.txt"
stop "$PBX"
fi

# Bridges: agent 1001 (from 127.0.0.2, not the trunk's address) dials out; the PBX bridges it
# with the trunk's answer. The agent's source is rate limited like any non-trunk address: the
# limit is raised for this run (IOC1022_PBX_RATE_PER_SOURCE=2000).
start_pbx 2000
(cd "$OUT" && timeout 300 sipp -sf "$SF/bridge_citizen.xml" -i 127.0.0.1 -p 5090 -mp 6100 -m "$BRIDGES" -nostdin \
	-trace_stat -stf citizen.csv -fd 1 -trace_err -error_file citizen.err -max_socket 10000 >citizen.out 2>&1) &
CIT=$!
sleep 1
idle=$(rss_kb "$PBX")
: >"$OUT/bridges.rss"
watch_rss "$PBX" "$OUT/bridges.rss" &
W=$!
c0=$(cpu_s "$PBX")
(cd "$OUT" && timeout 300 sipp $PBX_SIP -sf "$SF/bridge_agent.xml" -s 0912345678 -i 127.0.0.2 -p 5085 -mp 6200 \
	-au 1001 -ap demo-sip-1001 -r $((BRIDGES / 10)) -m "$BRIDGES" -l "$BRIDGES" -nostdin -timeout 200s -timeout_error \
	-trace_stat -stf bridges.csv -fd 1 -trace_err -error_file bridges.err -max_socket 10000 >bridges.out 2>&1) || true
c1=$(cpu_s "$PBX")
kill $W 2>/dev/null || true
wait $CIT || true
top=$(sort -n "$OUT/bridges.rss" | tail -1)
pk=$(peak "$OUT/bridges.csv")
{
	echo
	echo "### $BRIDGES concurrent agent ↔ trunk bridges (RTP both ways, 21 s each)"
	echo "| calls | peak concurrent | ok (agent side) | failed (agent side) | ok (trunk side) | failed (trunk side) | peak RSS | RSS per bridge | CPU ms/bridge | CPU ms per bridged second |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	echo "| $BRIDGES | $pk | $(stat "$OUT/bridges.csv" "SuccessfulCall(C)") | $(stat "$OUT/bridges.csv" "FailedCall(C)") |" \
		"$(stat "$OUT/citizen.csv" "SuccessfulCall(C)") | $(stat "$OUT/citizen.csv" "FailedCall(C)") | $((top / 1024)) MB |" \
		"$(((top - idle) / (pk > 0 ? pk : 1))) kB | $(echo "scale=2; ($c1 - $c0) * 1000 / $BRIDGES" | bc) |" \
		"$(echo "scale=2; ($c1 - $c0) * 1000 / $BRIDGES / 21" | bc) |"
	echo
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$OUT/summary.txt"
stop "$PBX"
echo "results in $OUT"

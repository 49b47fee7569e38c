#!/usr/bin/env bash
# check-stack.sh — smoke test of the real test stack (scripts/stack.sh).
#
#   scripts/check-stack.sh               # up --with-redmine --with-rules, check, down
#   scripts/check-stack.sh --no-redmine  # Prometheus + Alertmanager only
#   STACK_ENV=/path/stack.env scripts/check-stack.sh   # check an already running stack
#                                                      # (not started, not stopped here)
#
# Checks, against the generator's expected JSON (python3 compares):
#   * Prometheus: series count; increase() of good/bad/total and latency good/total for
#     every window at time=end (exact integers); error ratios (exact, and within the
#     1 % tolerance one step off the grid); ledger is NaN (no data); the page condition
#     (1h and 5m burn > 14.4) holds for payments only; raw counter values at end;
#     [5m] at end holds 6 samples (Prometheus 2.x windows are closed at both ends).
#   * --with-rules: ErrorBudgetFastBurn{service="payments"} reaches Alertmanager.
#   * Alertmanager: post alerts, silence one (suppressed), expire it (active again).
#   * Redmine: 401 without key, seeded issues (open vs status_id=*), create + close an
#     issue via REST, journal records the status change.
# Exits non-zero on the first failed check. Prints timings.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WITH_REDMINE=1
for arg in "$@"; do
  case "$arg" in
    --no-redmine) WITH_REDMINE=0 ;;
    *) echo "usage: $0 [--no-redmine]" >&2; exit 2 ;;
  esac
done

log() { printf 'check: %s\n' "$*" >&2; }
fail() { printf 'check: FAIL: %s\n' "$*" >&2; exit 1; }
pass() { printf 'check: ok   %s\n' "$*" >&2; }
now_ms() { date +%s%3N; }
secs_since() { local ms=$(( $(now_ms) - $1 )); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }
# pyq FILE EXPR: print a python expression evaluated on the JSON in FILE (as `d`).
pyq() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(json.dumps(r) if not isinstance(r,str) else r)' "$1" "$2"; }

T_ALL=$(now_ms)
Q=$(mktemp -d)
OWN_WORK=""
cleanup() {
  if [[ -n $OWN_WORK ]]; then
    local t; t=$(now_ms)
    "$HERE/stack.sh" down "$OWN_WORK" || log "stack.sh down failed"
    log "stack down in $(secs_since "$t") s"
  fi
  rm -rf "$Q"
}
trap cleanup EXIT
if [[ -n ${STACK_ENV:-} ]]; then
  ENV_FILE=$STACK_ENV
else
  up_args=(--with-rules)
  [[ $WITH_REDMINE == 1 ]] && up_args+=(--with-redmine)
  T=$(now_ms)
  "$HERE/stack.sh" up "${up_args[@]}" > "$Q/up.env" || fail "stack.sh up failed"
  OWN_WORK=$(sed -n 's/^STACK_WORK=//p' "$Q/up.env")
  log "stack up in $(secs_since "$T") s"
  ENV_FILE=$OWN_WORK/stack.env
fi
set -a
# shellcheck disable=SC1090
. "$ENV_FILE"
set +a
for v in STACK_WORK PROM_URL AM_URL EXPECTED_JSON STACK_END; do
  [[ -n ${!v:-} ]] || fail "$v missing from $ENV_FILE"
done
[[ $WITH_REDMINE == 1 && -z ${REDMINE_URL:-} ]] && { log "no REDMINE_URL: skipping Redmine checks"; WITH_REDMINE=0; }
END=$STACK_END

# ---------------------------------------------------------------- Prometheus (curl)
T=$(now_ms)
query() {  # query NAME PROMQL [TIME]
  curl -sfG "$PROM_URL/api/v1/query" --data-urlencode "query=$2" --data-urlencode "time=${3:-$END}" \
    -o "$Q/$1.json" || fail "prometheus query failed: $2"
}
WINDOWS=$(pyq "$EXPECTED_JSON" '" ".join(d["services"]["checkout"]["windows"])')
for w in $WINDOWS; do
  query "total_$w" "sum by (service)(increase(http_requests_total[$w]))"
  query "bad_$w" "sum by (service)(increase(http_requests_total{code=~\"5..\"}[$w]))"
  query "good_$w" "sum by (service)(increase(http_requests_total{code!~\"5..\"}[$w]))"
  query "lgood_$w" "sum by (service)(increase(http_request_duration_seconds_bucket{le=\"0.5\"}[$w]))"
  query "ltotal_$w" "sum by (service)(increase(http_request_duration_seconds_count[$w]))"
  query "ratio_$w" "sum by (service)(rate(http_requests_total{code=~\"5..\"}[$w])) / sum by (service)(rate(http_requests_total[$w]))"
  query "ratiooff_$w" "sum by (service)(rate(http_requests_total{code=~\"5..\"}[$w])) / sum by (service)(rate(http_requests_total[$w]))" "$((END - 30))"
done
query series 'count({__name__=~"http_request.*"})'
query raw 'http_requests_total'
query samples5m 'count_over_time(http_requests_total{service="checkout",code="200"}[5m])'
query page 'sum by (service)(increase(http_requests_total{code=~"5.."}[1h])) / sum by (service)(increase(http_requests_total[1h])) > 14.4 * 0.001 and sum by (service)(increase(http_requests_total{code=~"5.."}[5m])) / sum by (service)(increase(http_requests_total[5m])) > 14.4 * 0.001'
curl -sfG "$PROM_URL/api/v1/query_range" --data-urlencode 'query=sum(rate(http_requests_total{code=~"5.."}[1h])) / sum(rate(http_requests_total[1h]))' \
  --data-urlencode "start=$((END - 30 * 86400 + 3600))" --data-urlencode "end=$END" --data-urlencode step=3600 \
  -o "$Q/range.json" || fail "query_range failed"

python3 - "$EXPECTED_JSON" "$Q" <<'PY' || fail "prometheus results differ from expected.json"
import json, math, os, sys
exp = json.load(open(sys.argv[1])); q = sys.argv[2]
errors = []
def res(name):
    d = json.load(open(os.path.join(q, name + ".json")))
    assert d["status"] == "success", d
    return {r["metric"].get("service", ""): float(r["value"][1]) for r in d["data"]["result"]}
def same(a, b, rel):
    return abs(a - b) <= rel * max(1.0, abs(b))
n_checked = 0
worst_off = 0.0
for svc, s in exp["services"].items():
    for w, x in s["windows"].items():
        for kind, key in (("total", "total"), ("bad", "bad"), ("good", "good"),
                          ("lgood", "latency_good"), ("ltotal", "latency_total")):
            got = res(f"{kind}_{w}").get(svc)
            n_checked += 1
            if got is None or not same(got, x[key], 1e-9):
                errors.append(f"{svc} {key}[{w}]: prometheus {got} != expected {x[key]}")
        got = res(f"ratio_{w}").get(svc)
        off = res(f"ratiooff_{w}").get(svc)
        n_checked += 2
        if x["error_ratio"] is None:
            if got is None or not math.isnan(got):
                errors.append(f"{svc} error ratio[{w}] should be NaN (no data), got {got}")
        else:
            if got is None or not same(got, x["error_ratio"], 1e-9):
                errors.append(f"{svc} error ratio[{w}] at end: {got} != {x['error_ratio']}")
            dev = abs(off / x["error_ratio"] - 1)
            worst_off = max(worst_off, dev)
            if dev > exp["tolerance"]["ratios_relative"]:
                errors.append(f"{svc} error ratio[{w}] at end-30s: {off} off by {dev:.4%}")
d = json.load(open(os.path.join(q, "raw.json")))
for r in d["data"]["result"]:
    m = r["metric"]; want = exp["services"][m["service"]]["raw_at_end"]["http_requests_total"][m["code"]]
    n_checked += 1
    if float(r["value"][1]) != want:
        errors.append(f"raw http_requests_total{m}: {r['value'][1]} != {want}")
series = res("series")[""]
if series != exp["series"]:
    errors.append(f"series count {series} != {exp['series']}")
if res("samples5m").get("checkout") != 6.0:
    errors.append(f"expected 6 samples in [5m] at end (closed window), got {res('samples5m')}")
paging = sorted(res("page"))
want_paging = sorted(s for s, v in exp["services"].items() if v["availability"]["alerts"]["page_1h_5m"])
if paging != want_paging:
    errors.append(f"page 1h/5m fires for {paging}, expected {want_paging}")
rng = json.load(open(os.path.join(q, "range.json")))["data"]["result"][0]["values"]
if len(rng) != 720:
    errors.append(f"query_range returned {len(rng)} points, expected 720")
for e in errors:
    print("  " + e, file=sys.stderr)
print(f"check: ok   prometheus: {n_checked} values match expected.json "
      f"(worst ratio deviation 30 s off the grid: {worst_off:.3%}); {int(series)} series; "
      f"paging: {paging}; 720-point query_range", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
log "prometheus checks in $(secs_since "$T") s"

# ---------------------------------------------------------------- rules -> Alertmanager
T=$(now_ms)
if curl -sf "$PROM_URL/api/v1/rules" -o "$Q/rules.json" && [[ $(pyq "$Q/rules.json" 'len(d["data"]["groups"])') -gt 0 ]]; then
  deadline=$(( SECONDS + 60 ))
  until curl -sfG "$AM_URL/api/v2/alerts" --data-urlencode 'filter=alertname="ErrorBudgetFastBurn"' -o "$Q/fb.json" \
        && [[ $(pyq "$Q/fb.json" 'sorted(a["labels"]["service"] for a in d)') == '["payments"]' ]]; do
    (( SECONDS < deadline )) || fail "ErrorBudgetFastBurn{service=payments} did not reach Alertmanager in 60 s: $(cat "$Q/fb.json" 2>/dev/null)"
    sleep 1
  done
  curl -sf "$PROM_URL/api/v1/rules" -o "$Q/rules.json" || fail "GET /api/v1/rules failed"
  [[ $(pyq "$Q/rules.json" 'all(r["health"]=="ok" for g in d["data"]["groups"] for r in g["rules"])') == true ]] \
    || fail "a rule is unhealthy: $(cat "$Q/rules.json")"
  pass "ErrorBudgetFastBurn fired for payments only and reached Alertmanager ($(secs_since "$T") s)"
else
  log "no rules loaded: skipping the rule -> Alertmanager check"
fi

# ---------------------------------------------------------------- Alertmanager
T=$(now_ms)
starts=$(date -u +%Y-%m-%dT%H:%M:%SZ); ends=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
code=$(curl -s -o /dev/null -w '%{http_code}' -XPOST -H 'Content-Type: application/json' "$AM_URL/api/v2/alerts" -d "[
 {\"labels\":{\"alertname\":\"HighErrorRate\",\"service\":\"checkout\",\"severity\":\"critical\"},\"annotations\":{\"summary\":\"5xx ratio above SLO\"},\"startsAt\":\"$starts\",\"endsAt\":\"$ends\",\"generatorURL\":\"$PROM_URL/graph\"},
 {\"labels\":{\"alertname\":\"HighLatency\",\"service\":\"checkout\",\"severity\":\"warning\"},\"annotations\":{\"summary\":\"p99 above 1s\"},\"startsAt\":\"$starts\",\"endsAt\":\"$ends\"}]")
[[ $code == 200 ]] || fail "POST /api/v2/alerts returned $code"
state_of() {  # state_of ALERTNAME -> state, from GET /api/v2/alerts
  curl -sfG "$AM_URL/api/v2/alerts" --data-urlencode "filter=alertname=\"$1\"" -o "$Q/st.json" || fail "GET alerts failed"
  pyq "$Q/st.json" '",".join(a["status"]["state"] for a in d) or "absent"'
}
[[ $(state_of HighErrorRate) == active && $(state_of HighLatency) == active ]] || fail "posted alerts are not active"
pass "posted 2 alerts: both active"
s_end=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
curl -sf -XPOST -H 'Content-Type: application/json' "$AM_URL/api/v2/silences" -o "$Q/sil.json" -d "{\"matchers\":[
  {\"name\":\"alertname\",\"value\":\"HighErrorRate\",\"isRegex\":false,\"isEqual\":true},
  {\"name\":\"service\",\"value\":\"checkout\",\"isRegex\":false}],
  \"startsAt\":\"$starts\",\"endsAt\":\"$s_end\",\"createdBy\":\"opsdeck-ci\",\"comment\":\"check-stack\"}" \
  || fail "POST /api/v2/silences failed"
SID=$(pyq "$Q/sil.json" 'd["silenceID"]')
[[ $(state_of HighErrorRate) == suppressed ]] || fail "HighErrorRate not suppressed by silence $SID"
curl -sfG "$AM_URL/api/v2/alerts" --data-urlencode 'filter=alertname="HighErrorRate"' -o "$Q/st.json"
[[ $(pyq "$Q/st.json" 'd[0]["status"]["silencedBy"]') == "[\"$SID\"]" ]] || fail "silencedBy is not [$SID]"
[[ $(state_of HighLatency) == active ]] || fail "HighLatency should stay active (not matched by the silence)"
pass "silence $SID suppresses HighErrorRate only"
code=$(curl -s -o /dev/null -w '%{http_code}' -XDELETE "$AM_URL/api/v2/silence/$SID")
[[ $code == 200 ]] || fail "DELETE /api/v2/silence/$SID returned $code"
curl -sf "$AM_URL/api/v2/silence/$SID" -o "$Q/sil.json"
[[ $(pyq "$Q/sil.json" 'd["status"]["state"]') == expired ]] || fail "silence $SID is not expired"
[[ $(state_of HighErrorRate) == active ]] || fail "HighErrorRate not active again after expiring the silence"
pass "expired the silence: HighErrorRate active again ($(secs_since "$T") s)"

# ---------------------------------------------------------------- Redmine
if [[ $WITH_REDMINE == 1 ]]; then
  T=$(now_ms)
  H=(-H "X-Redmine-API-Key: $REDMINE_KEY" -H 'Content-Type: application/json')
  code=$(curl -s -o /dev/null -w '%{http_code}' "$REDMINE_URL/issues.json")
  [[ $code == 401 ]] || fail "anonymous GET /issues.json returned $code, expected 401"
  curl -sf "${H[@]}" "$REDMINE_URL/issues.json?project_id=$REDMINE_PROJECT" -o "$Q/open.json" || fail "GET issues failed"
  curl -sf "${H[@]}" "$REDMINE_URL/issues.json?project_id=$REDMINE_PROJECT&status_id=*" -o "$Q/all.json" || fail "GET issues status_id=* failed"
  # Only the seeded issues are compared, so a re-run against the same stack still passes.
  seed_cmp() {  # seed_cmp LISTING EXPR_ON_SEEDED_ISSUES -> value computed on `d` = seeded issues in LISTING
    python3 -c 'import json,sys
seed=json.load(open(sys.argv[1])); ids={i["id"] for i in seed["issues"]}
lst=[i for i in json.load(open(sys.argv[2]))["issues"] if i["id"] in ids]
print(json.dumps(eval(sys.argv[3], {"d": lst, "seed": seed})))' "$REDMINE_SEED_JSON" "$1" "$2"
  }
  want_open=$(pyq "$REDMINE_SEED_JSON" 'sum(1 for i in d["issues"] if not i["closed"])')
  want_all=$(pyq "$REDMINE_SEED_JSON" 'len(d["issues"])')
  got_open=$(seed_cmp "$Q/open.json" 'len(d)')
  got_all=$(seed_cmp "$Q/all.json" 'len(d)')
  [[ $got_open == "$want_open" ]] || fail "open seeded issues (default listing): $got_open != $want_open"
  [[ $got_all == "$want_all" ]] || fail "seeded issues with status_id=*: $got_all != $want_all"
  got=$(seed_cmp "$Q/all.json" 'sorted((i["id"], i["priority"]["name"], i["status"]["name"]) for i in d)')
  want=$(pyq "$REDMINE_SEED_JSON" 'sorted((i["id"], i["priority"], i["status"]) for i in d["issues"])')
  [[ $got == "$want" ]] || fail "seeded issues differ: $got != $want"
  pass "redmine: 401 without key; $want_open open / $want_all seeded issues with their priorities"
  code=$(curl -s -o "$Q/new.json" -w '%{http_code}' "${H[@]}" -XPOST "$REDMINE_URL/issues.json" \
    -d "{\"issue\":{\"project_id\":\"$REDMINE_PROJECT\",\"subject\":\"check-stack issue\",\"priority_id\":4,\"tracker_id\":1}}")
  [[ $code == 201 ]] || fail "POST /issues.json returned $code: $(cat "$Q/new.json")"
  IID=$(pyq "$Q/new.json" 'd["issue"]["id"]')
  code=$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" -XPUT "$REDMINE_URL/issues/$IID.json" \
    -d '{"issue":{"status_id":5,"notes":"closed by check-stack"}}')
  [[ $code == 204 ]] || fail "PUT /issues/$IID.json returned $code"
  curl -sf "${H[@]}" "$REDMINE_URL/issues/$IID.json?include=journals" -o "$Q/issue.json" || fail "GET issue $IID failed"
  [[ $(pyq "$Q/issue.json" 'd["issue"]["status"]["name"]') == Closed ]] || fail "issue $IID not Closed"
  [[ $(pyq "$Q/issue.json" 'd["issue"]["closed_on"] is not None') == true ]] || fail "issue $IID has no closed_on"
  [[ $(pyq "$Q/issue.json" 'any(x["name"]=="status_id" and x["old_value"]=="1" and x["new_value"]=="5" for j in d["issue"]["journals"] for x in j["details"])') == true ]] \
    || fail "journal of issue $IID lacks the 1->5 status change"
  pass "redmine: created issue #$IID (201), closed it (204), journal shows New -> Closed ($(secs_since "$T") s)"
fi

log "all checks passed in $(secs_since "$T_ALL") s (including up; down follows)"

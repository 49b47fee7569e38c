#!/usr/bin/env bash
# stack.sh — real Prometheus + Alertmanager (+ Redmine) on 127.0.0.1 for opsdeck's
# integration tests.
#
#   scripts/stack.sh up [--with-redmine] [--with-rules]   start; print the env file
#   scripts/stack.sh env  [WORK]                          print the env file
#   scripts/stack.sh down [WORK]                          stop by PID, delete WORK
#
# `up` generates 30 days of deterministic SLI history (scripts/gen_openmetrics.py,
# 60 s step, ending "now" rounded down to the step), backfills it with promtool, starts
# Prometheus and Alertmanager and (optionally) a freshly migrated and seeded Redmine,
# waits for each with bounded polls, and writes $WORK/stack.env:
#   STACK_WORK PROM_URL AM_URL REDMINE_URL REDMINE_KEY REDMINE_PROJECT
#   REDMINE_SEED_JSON EXPECTED_JSON STACK_END
# (KEY=VALUE lines, no quoting; REDMINE_* are empty without Redmine). Load it with
# `set -a; . "$WORK/stack.env"; set +a`, or parse the lines.
#
# Environment (all optional):
#   WORK            directory to use (must be empty or absent; default: mktemp -d)
#   PROM_PORT=19090 AM_PORT=19093 RM_PORT=13000
#   REDMINE=1       same as --with-redmine        RULES=1  same as --with-rules
#   REDMINE_KEY     API key given to Redmine's admin (default: a fixed 40-hex key)
#   DAYS=30 STEP=60 DATA_END=<unix s> (default now) BACKFILL_JOBS=2
#   READY_TIMEOUT_S=30 (Prometheus/Alertmanager)  RM_TIMEOUT_S=150 (Redmine)
#   KEEP=1          `down` keeps WORK (logs) instead of deleting it
#
# `down`/`env` find WORK from the argument, else $STACK_WORK, else $WORK, else the
# pointer file ${TMPDIR:-/tmp}/opsdeck-stack-$PROM_PORT.work written by `up`.
# --with-rules loads a 99.9 % multiwindow burn-rate rule group (ErrorBudgetFastBurn)
# whose alerts go to this Alertmanager. Everything listens on 127.0.0.1 only.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GEN=${GEN:-$HERE/gen_openmetrics.py}
PROM_PORT=${PROM_PORT:-19090}
AM_PORT=${AM_PORT:-19093}
RM_PORT=${RM_PORT:-13000}
REDMINE_KEY=${REDMINE_KEY:-0123456789abcdef0123456789abcdef01234567}
DAYS=${DAYS:-30}
STEP=${STEP:-60}
BACKFILL_JOBS=${BACKFILL_JOBS:-2}
READY_TIMEOUT_S=${READY_TIMEOUT_S:-30}
RM_TIMEOUT_S=${RM_TIMEOUT_S:-150}
REDMINE_DIR=${REDMINE_DIR:-/usr/share/redmine}
POINTER=${TMPDIR:-/tmp}/opsdeck-stack-$PROM_PORT.work
MARKER=.opsdeck-stack

log() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }
secs_since() { local ms=$(( $(now_ms) - $1 )); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }
timing() { log "$1 in $2 s"; printf '%s %s\n' "$1" "$2" >> "$WORK/timings.txt"; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_http NAME URL PIDFILE TIMEOUT_S LOG: poll until URL answers 2xx; fail early if
# the process died, and with a clear message after TIMEOUT_S.
wait_http() {
  local name=$1 url=$2 pidfile=$3 timeout_s=$4 logf=$5 deadline pid
  deadline=$(( SECONDS + timeout_s ))
  pid=$(cat "$pidfile")
  while (( SECONDS < deadline )); do
    if curl -sf -o /dev/null --max-time 2 "$url"; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) exited before it was ready; last lines of $logf:"
      tail -n 25 "$logf" >&2 || true
      return 1
    fi
    sleep 0.2
  done
  log "timeout: $name not ready at $url after ${timeout_s} s; last lines of $logf:"
  tail -n 25 "$logf" >&2 || true
  return 1
}

# term_pid PIDFILE: SIGTERM the process group we started (its leader is the PID).
term_pid() {
  local pid
  [[ -f $1 ]] || return 0
  pid=$(cat "$1")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
}

# reap_pid NAME PIDFILE: wait <= 10 s for the PID to exit, then SIGKILL its group.
reap_pid() {
  local name=$1 pidfile=$2 pid i
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) ignored SIGTERM for 10 s: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      for i in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && log "WARNING: $name (pid $pid) survived SIGKILL"
    fi
  fi
  log "$name (pid $pid) stopped"
  rm -f "$pidfile"
}

find_work() {
  local w=${1:-${STACK_WORK:-${WORK:-}}}
  if [[ -z $w && -f $POINTER ]]; then w=$(cat "$POINTER"); fi
  [[ -n $w ]] || die "no stack found: pass WORK as an argument or set STACK_WORK (no $POINTER)"
  [[ -f $w/$MARKER ]] || die "$w is not a stack directory (no $MARKER)"
  printf '%s\n' "$w"
}

stop_all() {  # stop_all WORK: SIGTERM all, then wait for each (bounded), SIGKILL leftovers
  local f
  for f in redmine prom am; do term_pid "$1/$f.pid"; done
  reap_pid redmine "$1/redmine.pid"
  reap_pid prometheus "$1/prom.pid"
  reap_pid alertmanager "$1/am.pid"
}

remove_work() {  # remove_work WORK
  local w=$1
  if [[ ${KEEP:-0} == 1 ]]; then log "KEEP=1: leaving $w"; return 0; fi
  [[ -f $w/$MARKER && $w != / ]] || return 0
  rm -rf -- "$w"
  log "removed $w"
}

cmd_down() {
  local w
  w=$(find_work "${1:-}")
  stop_all "$w"
  [[ -f $POINTER && $(cat "$POINTER") == "$w" ]] && rm -f "$POINTER"
  remove_work "$w"
}

cmd_env() {
  local w
  w=$(find_work "${1:-}")
  [[ -f $w/stack.env ]] || die "$w/stack.env does not exist (is the stack up?)"
  cat "$w/stack.env"
}

write_redmine_seed() {
  cat > "$WORK/redmine-seed.rb" <<'RUBY'
# Seeds a fresh Redmine database for opsdeck's tests (one `rails runner`: ~3 s of boot).
require "json"
Redmine::DefaultData::Loader.load("en") unless Tracker.exists?
Setting.rest_api_enabled = "1"
Setting.login_required = "1"   # anonymous reads get 401, as on a real deployment
admin = User.find_by_login!("admin")
admin.update!(must_change_passwd: false)
Token.where(user_id: admin.id, action: "api").delete_all
# Token's before_create callback overwrites any value passed in: set the key afterwards.
Token.create!(user_id: admin.id, action: "api").update_column(:value, ENV.fetch("REDMINE_KEY"))
project = Project.create!(name: "Ops", identifier: "ops", is_public: false,
                          description: "opsdeck integration-test project")
User.current = admin
seed = [
  ["checkout 5xx spike",          "Bug",     "Immediate", "New"],
  ["payments latency regression", "Bug",     "Urgent",    "In Progress"],
  ["rotate TLS certificates",     "Feature", "High",      "New"],
  ["update ledger runbook",       "Support", "Normal",    "Feedback"],
  ["remove old dashboards",       "Feature", "Low",       "Closed"],
]
issues = seed.map do |subject, tracker, priority, status|
  i = Issue.new(project: project, author: admin, subject: subject,
                tracker: Tracker.find_by!(name: tracker),
                priority: IssuePriority.find_by!(name: priority))
  i.status = IssueStatus.find_by!(name: status)
  i.save!
  { id: i.id, subject: subject, tracker: tracker, priority: priority, priority_id: i.priority_id,
    status: status, status_id: i.status_id, closed: i.closed? }
end
File.write(ENV.fetch("SEED_JSON"), JSON.pretty_generate(
  project: { id: project.id, identifier: project.identifier, name: project.name },
  issues: issues,
  priorities: IssuePriority.order(:position).map { |p| { id: p.id, name: p.name } },
  statuses: IssueStatus.order(:position).map { |s| { id: s.id, name: s.name, closed: s.is_closed } }
) + "\n")
RUBY
}

write_rules() {
  cat > "$WORK/rules.yml" <<'YAML'
groups:
  - name: opsdeck-slo
    interval: 5s
    rules:
      - record: service:http_error_ratio:rate5m
        expr: sum by (service)(rate(http_requests_total{code=~"5.."}[5m])) / sum by (service)(rate(http_requests_total[5m]))
      - record: service:http_error_ratio:rate1h
        expr: sum by (service)(rate(http_requests_total{code=~"5.."}[1h])) / sum by (service)(rate(http_requests_total[1h]))
      # 99.9 % SLO, 14.4x burn over 1h confirmed on 5m. Rules evaluate at wall-clock time:
      # the 5m window keeps data only ~4 min after the last generated sample.
      - alert: ErrorBudgetFastBurn
        expr: service:http_error_ratio:rate1h > (14.4 * 0.001) and service:http_error_ratio:rate5m > (14.4 * 0.001)
        for: 10s
        labels: {severity: critical}
        annotations:
          summary: "{{ $labels.service }} burning error budget fast ({{ $value | humanizePercentage }} errors over 5m)"
YAML
}

cmd_up() {
  local with_redmine=${REDMINE:-0} with_rules=${RULES:-0} arg
  for arg in "$@"; do
    case "$arg" in
      --with-redmine) with_redmine=1 ;;
      --with-rules) with_rules=1 ;;
      *) die "unknown argument to up: $arg" ;;
    esac
  done
  local b p
  for b in prometheus promtool prometheus-alertmanager curl python3 setsid; do
    command -v "$b" >/dev/null || die "$b not found: run scripts/install-deps.sh"
  done
  if [[ $with_redmine == 1 ]]; then
    [[ -x $REDMINE_DIR/bin/rails ]] || die "$REDMINE_DIR/bin/rails not found: run scripts/install-deps.sh"
    command -v thin >/dev/null || die "thin not found (Redmine needs it): run scripts/install-deps.sh"
  fi
  [[ -f $GEN ]] || die "generator not found: $GEN"
  for p in "$PROM_PORT" "$AM_PORT" "$RM_PORT"; do
    [[ $p =~ ^[0-9]+$ ]] && (( p >= 1 && p <= 65535 )) || die "invalid port: $p"
  done
  local ports=("$PROM_PORT" "$AM_PORT")
  [[ $with_redmine == 1 ]] && ports+=("$RM_PORT")
  for p in "${ports[@]}"; do
    port_busy "$p" && die "port 127.0.0.1:$p is already in use (another stack? run: $0 down, or set PROM_PORT/AM_PORT/RM_PORT)"
  done

  if [[ -n ${WORK:-} ]]; then
    mkdir -p "$WORK"
    [[ -z $(ls -A "$WORK") ]] || die "WORK=$WORK is not empty; use an empty or new directory"
    WORK=$(cd "$WORK" && pwd)
  else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/opsdeck-stack.XXXXXX")
  fi
  [[ $WORK != *[[:space:]]* ]] || die "WORK must not contain whitespace: $WORK"
  : > "$WORK/$MARKER"
  : > "$WORK/timings.txt"
  printf '%s\n' "$WORK" > "$POINTER"
  export WORK
  UP_OK=0
  # On any failure: stop what was started, keep nothing running.
  trap 'if [[ $UP_OK != 1 ]]; then log "up failed; stopping what was started"; stop_all "$WORK"; rm -f "$POINTER"; remove_work "$WORK"; fi' EXIT
  local t_all t
  t_all=$(now_ms)

  # Redmine first: migrate + seed + boot is the longest part (~10 s of one core), so it
  # runs while the data is generated and backfilled.
  if [[ $with_redmine == 1 ]]; then
    write_redmine_seed
    t=$(now_ms)
    ( export RAILS_ENV=production DATABASE_URL="sqlite3:$WORK/redmine.sqlite3" \
             REDMINE_KEY SEED_JSON="$WORK/redmine-seed.json" WORK REDMINE_DIR RM_PORT
      exec setsid bash -c 'cd "$REDMINE_DIR" \
        && bin/rake db:migrate > "$WORK/redmine-migrate.log" 2>&1 \
        && bin/rails runner "$WORK/redmine-seed.rb" \
        && exec bin/rails server -e production -b 127.0.0.1 -p "$RM_PORT" -P "$WORK/redmine-server.pid"' \
    ) > "$WORK/redmine.log" 2>&1 < /dev/null &
    echo $! > "$WORK/redmine.pid"   # process-group leader; after `exec` it is the server itself
    local t_rm=$t
  fi

  cat > "$WORK/am.yml" <<'YAML'
route:
  receiver: "null"
  group_by: ["alertname", "service"]
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
  - name: "null"
YAML
  t=$(now_ms)
  setsid prometheus-alertmanager --config.file="$WORK/am.yml" --storage.path="$WORK/am-data" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
    > "$WORK/am.log" 2>&1 < /dev/null &
  echo $! > "$WORK/am.pid"
  wait_http alertmanager "http://127.0.0.1:$AM_PORT/-/ready" "$WORK/am.pid" "$READY_TIMEOUT_S" "$WORK/am.log"
  timing alertmanager_ready "$(secs_since "$t")"

  t=$(now_ms)
  local end_arg=()
  [[ -n ${DATA_END:-} ]] && end_arg=(--end "$DATA_END")
  python3 "$GEN" --out-dir "$WORK/om" --expected "$WORK/expected.json" \
    --days "$DAYS" --step "$STEP" "${end_arg[@]}"
  timing generate "$(secs_since "$t")"

  t=$(now_ms)
  if ! (cd "$WORK/om" && ls -- *.om | xargs -P"$BACKFILL_JOBS" -I{} \
        promtool tsdb create-blocks-from openmetrics -q {} "$WORK/prom-data") > "$WORK/backfill.log" 2>&1; then
    tail -n 20 "$WORK/backfill.log" >&2
    die "promtool backfill failed (see $WORK/backfill.log)"
  fi
  rm -rf "$WORK/om"   # ~110 MB; the blocks hold the data now
  timing backfill "$(secs_since "$t")"
  log "backfilled $(find "$WORK/prom-data" -mindepth 1 -maxdepth 1 -type d | wc -l) blocks"

  local rule_files="[]" alerting=""
  if [[ $with_rules == 1 ]]; then
    write_rules
    rule_files="[rules.yml]"
    alerting="alerting: {alertmanagers: [{static_configs: [{targets: [\"127.0.0.1:$AM_PORT\"]}]}]}"
  fi
  cat > "$WORK/prom.yml" <<YAML
global: {scrape_interval: 15s, evaluation_interval: 5s}
rule_files: $rule_files
$alerting
scrape_configs: []
YAML
  promtool check config "$WORK/prom.yml" > "$WORK/promtool-check.log" 2>&1 \
    || { cat "$WORK/promtool-check.log" >&2; die "invalid $WORK/prom.yml"; }
  t=$(now_ms)
  setsid prometheus --config.file="$WORK/prom.yml" --storage.tsdb.path="$WORK/prom-data" \
    --storage.tsdb.retention.time=400d --web.listen-address="127.0.0.1:$PROM_PORT" \
    > "$WORK/prom.log" 2>&1 < /dev/null &
  echo $! > "$WORK/prom.pid"
  wait_http prometheus "http://127.0.0.1:$PROM_PORT/-/ready" "$WORK/prom.pid" "$READY_TIMEOUT_S" "$WORK/prom.log"
  timing prometheus_ready "$(secs_since "$t")"

  local rm_url="" rm_key="" rm_project="" rm_seed=""
  if [[ $with_redmine == 1 ]]; then
    wait_http redmine "http://127.0.0.1:$RM_PORT/login" "$WORK/redmine.pid" "$RM_TIMEOUT_S" "$WORK/redmine.log"
    [[ -s $WORK/redmine-seed.json ]] || die "redmine started but $WORK/redmine-seed.json is missing"
    timing redmine_ready_since_launch "$(secs_since "$t_rm")"
    rm_url="http://127.0.0.1:$RM_PORT" rm_key=$REDMINE_KEY rm_project=ops rm_seed=$WORK/redmine-seed.json
  fi

  local end
  end=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"])' "$WORK/expected.json")
  cat > "$WORK/stack.env" <<ENV
STACK_WORK=$WORK
PROM_URL=http://127.0.0.1:$PROM_PORT
AM_URL=http://127.0.0.1:$AM_PORT
REDMINE_URL=$rm_url
REDMINE_KEY=$rm_key
REDMINE_PROJECT=$rm_project
REDMINE_SEED_JSON=$rm_seed
EXPECTED_JSON=$WORK/expected.json
STACK_END=$end
ENV
  timing up_total "$(secs_since "$t_all")"
  UP_OK=1
  trap - EXIT
  cat "$WORK/stack.env"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  env) shift; cmd_env "$@" ;;
  *) echo "usage: $0 up [--with-redmine] [--with-rules] | down [WORK] | env [WORK]" >&2; exit 2 ;;
esac

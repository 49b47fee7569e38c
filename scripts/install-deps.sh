#!/usr/bin/env bash
# install-deps.sh — install the real servers opsdeck's integration tests run against.
#
# Idempotent: a package is installed only when one of its binaries is missing, and
# `apt-get update` runs (once) only when something has to be installed.
# Debian/Ubuntu only (apt). Needs root (or password-less sudo). Works without a TTY.
#
#   scripts/install-deps.sh               # prometheus, alertmanager, victoria-metrics,
#                                         # redmine (+thin), tmux, man
#   scripts/install-deps.sh --no-redmine  # skip redmine, redmine-sqlite, thin
#
# No daemon is started: /usr/sbin/policy-rc.d (exit 101) is put in place for the
# install (an existing one is backed up and restored afterwards).
set -euo pipefail

WITH_REDMINE=1
for arg in "$@"; do
  case "$arg" in
    --no-redmine) WITH_REDMINE=0 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-deps: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

log() { printf 'install-deps: %s\n' "$*" >&2; }
die() { printf 'install-deps: ERROR: %s\n' "$*" >&2; exit 1; }

# --- what is missing? --------------------------------------------------------------
PKGS=()
add() { local p; for p in "$@"; do [[ " ${PKGS[*]-} " == *" $p "* ]] || PKGS+=("$p"); done; }
have() { command -v "$1" >/dev/null 2>&1; }

have prometheus || add prometheus
have promtool || add prometheus
have prometheus-alertmanager || add prometheus-alertmanager
have amtool || add prometheus-alertmanager
have victoria-metrics || add victoria-metrics   # tests/slo_victoriametrics_real.rs
have tmux || add tmux
have curl || add curl
have man || add man-db
have python3 || add python3                      # tests/battery_pty.rs drives the TUI on a pty
[[ -x /usr/bin/time ]] || add time               # tests/reliability_huge_plan.rs peak RSS
if [[ $WITH_REDMINE == 1 ]]; then
  [[ -x /usr/share/redmine/bin/rails ]] || add redmine redmine-sqlite
  have thin || add thin
fi

if [[ ${#PKGS[@]} -eq 0 ]]; then
  log "nothing to do: all binaries present ($(prometheus --version 2>&1 | head -n1 | awk '{print $1, $3}'), alertmanager $(prometheus-alertmanager --version 2>&1 | head -n1 | awk '{print $3}'))"
  exit 0
fi
log "missing binaries; will install: ${PKGS[*]}"

# --- privileges ---------------------------------------------------------------------
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if have sudo && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    die "must run as root (or with password-less sudo) to install: ${PKGS[*]}"
  fi
fi
have apt-get || die "apt-get not found: install manually: ${PKGS[*]}"

# --- keep daemons from starting -----------------------------------------------------
POLICY=/usr/sbin/policy-rc.d
POLICY_BACKUP=""
POLICY_CREATED=0
restore_policy() {
  if [[ -n $POLICY_BACKUP ]]; then
    "${SUDO[@]}" mv -f "$POLICY_BACKUP" "$POLICY" && log "restored original $POLICY"
  elif [[ $POLICY_CREATED == 1 ]]; then
    "${SUDO[@]}" rm -f "$POLICY" && log "removed temporary $POLICY"
  fi
}
if [[ -e $POLICY ]] && grep -qx 'exit 101' "$POLICY" 2>/dev/null; then
  log "$POLICY already denies service starts (exit 101)"
else
  if [[ -e $POLICY ]]; then
    POLICY_BACKUP=$(mktemp "$POLICY.opsdeck-backup.XXXXXX")
    "${SUDO[@]}" cp -p "$POLICY" "$POLICY_BACKUP"
    log "backed up existing $POLICY to $POLICY_BACKUP"
  else
    POLICY_CREATED=1
  fi
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  log "installed $POLICY (exit 101) so no daemon starts during the install"
fi
trap restore_policy EXIT

# --- install ------------------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300
          -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
t0=$(date +%s)
log "apt-get update"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q -o DPkg::Lock::Timeout=300 >&2 \
  || die "apt-get update failed (no network / broken sources?)"
log "apt-get install --no-install-recommends ${PKGS[*]}"
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${APT_OPTS[@]}" "${PKGS[@]}" >&2; then
  die "apt-get install ${PKGS[*]} failed (see the apt output above)"
fi

# --- verify -------------------------------------------------------------------------
missing=()
for b in prometheus promtool prometheus-alertmanager amtool tmux curl man; do have "$b" || missing+=("$b"); done
if [[ $WITH_REDMINE == 1 ]]; then
  [[ -x /usr/share/redmine/bin/rails ]] || missing+=(/usr/share/redmine/bin/rails)
  have thin || missing+=(thin)
fi
[[ ${#missing[@]} -eq 0 ]] || die "installed ${PKGS[*]} but still missing: ${missing[*]}"
log "installed ${PKGS[*]} in $(( $(date +%s) - t0 )) s"

#!/usr/bin/env bash
# test.sh — the one command that runs every opsdeck test (the README's test command).
#
# Installs what the integration tests need when it is missing (Debian's prometheus,
# prometheus-alertmanager, victoria-metrics, redmine, tmux, man — see install-deps.sh), then
# runs the whole cargo test suite, then the reliability battery's quick tier (scripts/battery).
# Real servers are started and stopped by the tests themselves, on
# 127.0.0.1 with temporary data folders.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The reliability battery's targets run below, in scripts/battery's quick tier (one test at a
# time, with its results table), so they are skipped here by name.
cargo test --locked --all-targets --no-fail-fast -- --skip battery_
cargo test --locked --doc
bash scripts/battery

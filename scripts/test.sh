#!/usr/bin/env bash
# test.sh — the one command that runs every opsdeck test (the README's test command).
#
# Installs what the integration tests need when it is missing (Debian's prometheus,
# prometheus-alertmanager, victoria-metrics, redmine, tmux — see install-deps.sh), then runs the whole
# cargo test suite. Real servers are started and stopped by the tests themselves, on
# 127.0.0.1 with temporary data folders.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo test --locked --all-targets --no-fail-fast
cargo test --locked --doc

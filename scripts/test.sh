#!/usr/bin/env bash
# Every test: unit, integration against a real sshd, and (when present) the Playwright e2e suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

bash scripts/ensure-system-deps.sh
npx turbo run build --output-logs=errors-only
# One package at a time: each suite starts its own sshd and servers, and the machine has two cores.
npx turbo run test --concurrency=1
if compgen -G "e2e/*.spec.ts" >/dev/null; then
  npx playwright test
fi

#!/usr/bin/env bash
# Every test: unit and integration tests against a real sshd, the reliability suite, the deploy suite
# (three nodes behind the real nginx), and the Playwright e2e suite in real Chromium. TERMRELAY_HEAVY=1
# runs the full-size reliability variants.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

bash scripts/ensure-system-deps.sh
npx turbo run build --output-logs=errors-only
# Every command the docs give still names a script, file, flag or test that exists (about ten seconds).
npm run test:docs
# One package at a time: each suite starts its own sshd and servers, and the machine has two cores.
npx turbo run test --concurrency=1
npx turbo run reliability --concurrency=1
npx turbo run deploy --concurrency=1
npx playwright test
# The benchmark smoke run: it proves the bench still works, its figures are not judged here.
node bench/run.mjs --quick

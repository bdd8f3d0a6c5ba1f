#!/usr/bin/env bash
# Installs what npm cannot: OpenSSH (the tests' real target), nginx (the deploy suite's balancer),
# asciinema (checks the recordings), iproute2 (network namespaces) and Chromium (the e2e browser).
# As root it installs missing packages with apt-get; otherwise it stops with the exact command to run.
# Usage: scripts/ensure-system-deps.sh [--no-browser]
set -euo pipefail

need_browser=1
[ "${1:-}" = "--no-browser" ] && need_browser=0

missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 && command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v asciinema >/dev/null 2>&1 || missing+=(asciinema)
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
# `ip netns` and veth pairs for the black-hole test (a client whose packets simply stop).
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || missing+=(iproute2)
if [ "$need_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi

[ "${#missing[@]}" -eq 0 ] && exit 0

cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
  echo "termrelay tests need: ${missing[*]}" >&2
  echo "Install them first:  sudo sh -c '$cmd'" >&2
  exit 1
fi

echo "Installing ${missing[*]} with apt-get ..." >&2
# Never let the packages start a system-wide sshd or nginx: tests run their own on loopback.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
timeout 600 apt-get update -qq
timeout 900 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Installed ${missing[*]}." >&2

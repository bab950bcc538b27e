#!/usr/bin/env bash
# Install what hacore's demo and tests need on a fresh Debian machine (run as root).
# Debian daemons are installed under a policy-rc.d that forbids starting them on the host:
# the tests start what they need inside their own network namespaces. That policy-rc.d is
# created only if there is none, and removed again when this script ends, however it ends:
# left behind, it would keep apt from restarting any daemon after later upgrades.
set -euo pipefail
POLICY_RC_D=${POLICY_RC_D:-/usr/sbin/policy-rc.d}
PKGS=(iproute2 iputils-ping socat net-tools procps psmisc curl tcpdump util-linux
      apache2 heartbeat keepalived resource-agents iptables cluster-glue fence-agents)
# The service tests: `make install` (python3-venv), systemd-analyze verify, logrotate.
PKGS+=(python3-venv systemd logrotate make)
created_policy=

forbid_service_starts() {
  if [ -n "$created_policy" ]; then return; fi
  # noclobber: the file is created only if nothing (not even a dangling link) is there.
  if (set -C; printf '#!/bin/sh\nexit 101\n' > "$POLICY_RC_D") 2>/dev/null; then
    created_policy=1
    chmod +x "$POLICY_RC_D"
  fi
}

remove_our_policy() {
  if [ -n "$created_policy" ]; then
    rm -f "$POLICY_RC_D"
  fi
}
trap remove_our_policy EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  forbid_service_starts
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# promtool (checks the metrics output and alert rules); the server itself is not wanted.
if ! command -v promtool >/dev/null; then
  forbid_service_starts
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test]'

#!/usr/bin/env bash
# Install what hacore's demo and tests need on a fresh Debian machine (run as root).
# Debian daemons are installed with a policy-rc.d that forbids starting them on the host:
# the tests start what they need inside their own network namespaces.
set -euo pipefail
PKGS=(iproute2 iputils-ping socat net-tools procps psmisc curl tcpdump util-linux
      apache2 heartbeat keepalived resource-agents iptables)
# The service tests: `make install` (python3-venv), systemd-analyze verify, logrotate.
PKGS+=(python3-venv systemd logrotate make)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# promtool (checks the metrics output and alert rules); the server itself is not wanted.
if ! command -v promtool >/dev/null; then
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test]'

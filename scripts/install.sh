#!/bin/sh
# `make install`: hacore in its own virtual environment (PEP 668 forbids pip into the
# system Python on Debian 12), its commands linked into the system's PATH, and the
# service files (systemd unit, LSB init script, logrotate, tmpfiles.d, defaults).
#
# Every location can be overridden (DESTDIR stages a package or a test root):
#   PREFIX=/opt/hacore SBINDIR=/usr/sbin BINDIR=/usr/bin SYSCONFDIR=/etc
#   UNITDIR=/etc/systemd/system TMPFILESDIR=/etc/tmpfiles.d PYTHON=/usr/bin/python3
#   PIP_ARGS="..." (extra pip options, e.g. --no-index --find-links DIR)
# What it puts outside PREFIX is listed in PREFIX/share/hacore/installed-files, which
# `make uninstall` reads. /etc/ha.d is never written; an existing /etc/default/hacore
# is kept; files that belong to Heartbeat's package are never replaced.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/opt/hacore}
SBINDIR=${SBINDIR:-/usr/sbin}
BINDIR=${BINDIR:-/usr/bin}
SYSCONFDIR=${SYSCONFDIR:-/etc}
UNITDIR=${UNITDIR:-$SYSCONFDIR/systemd/system}
TMPFILESDIR=${TMPFILESDIR:-$SYSCONFDIR/tmpfiles.d}
PIP_ARGS=${PIP_ARGS:-}
if [ -z "${PYTHON:-}" ]; then
    if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
# Commands linked into the PATH: the daemon into sbin, the tools into bin (those this
# version provides; a name already taken by another package is left alone).
SBIN_TOOLS="hacored"
BIN_TOOLS="hactl cl_status hb_standby hb_takeover"

ROOT_PREFIX=$DESTDIR$PREFIX
MANIFEST_DIR=$ROOT_PREFIX/share/hacore
MANIFEST=$MANIFEST_DIR/installed-files
MARKER="hacore: LSB init script"

say() { printf '%s\n' "$*"; }
die() { printf 'make install: %s\n' "$*" >&2; exit 1; }

"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null ||
    die "$PYTHON cannot create virtual environments (Debian: apt-get install python3-venv)"

# ---- the virtual environment ---------------------------------------------------------
if [ ! -f "$ROOT_PREFIX/pyvenv.cfg" ]; then
    [ ! -e "$ROOT_PREFIX" ] || [ -z "$(ls -A "$ROOT_PREFIX")" ] ||
        die "$ROOT_PREFIX exists and is not a virtual environment: choose another PREFIX"
    "$PYTHON" -m venv "$ROOT_PREFIX"
fi
# shellcheck disable=SC2086
"$ROOT_PREFIX/bin/python" -m pip install --quiet --disable-pip-version-check $PIP_ARGS "$SRC"
if [ -n "$DESTDIR" ]; then
    # A staged tree runs from PREFIX once unpacked: scripts must name that interpreter.
    for f in "$ROOT_PREFIX"/bin/*; do
        if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
        sed -i "1s|^#!$ROOT_PREFIX/|#!$PREFIX/|; s|$ROOT_PREFIX|$PREFIX|g" "$f"
    done
fi
mkdir -p "$MANIFEST_DIR" "$ROOT_PREFIX/share/doc/hacore"
cp "$SRC/README.md" "$SRC/LICENSE" "$SRC"/docs/*.md "$ROOT_PREFIX/share/doc/hacore/"
: > "$MANIFEST.new"

# The manifest: "link PATH" for links, "SHA256 PATH" for files (uninstall removes a file
# only while it is still what was installed).
record() {
    if [ -L "$DESTDIR$1" ]; then
        printf 'link %s\n' "$1" >> "$MANIFEST.new"
    else
        printf '%s %s\n' "$(sha256sum < "$DESTDIR$1" | cut -d' ' -f1)" "$1" >> "$MANIFEST.new"
    fi
}

# install_file SOURCE TARGET MODE [SED]: copy with the installed paths filled in
install_file() {
    mkdir -p "$(dirname "$DESTDIR$2")"
    sed -e "s|/usr/sbin/hacored|$SBINDIR/hacored|g" \
        -e "s|/usr/bin/hactl|$BINDIR/hactl|g" \
        -e "s|/opt/hacore|$PREFIX|g" -e "${4:-}" "$1" > "$DESTDIR$2.hacore-new"
    chmod "$3" "$DESTDIR$2.hacore-new"
    mv "$DESTDIR$2.hacore-new" "$DESTDIR$2"
    record "$2"
    say "installed $2"
}

# ---- commands -----------------------------------------------------------------------
link_tools() {
    dir=$1
    shift
    for tool in "$@"; do
        [ -e "$ROOT_PREFIX/bin/$tool" ] || continue
        target=$DESTDIR$dir/$tool
        if [ -e "$target" ] || [ -L "$target" ]; then
            case $(readlink "$target" || true) in
                "$PREFIX"/*) ;;
                *) say "skipped $dir/$tool: it exists and is not hacore's"; continue;;
            esac
        fi
        mkdir -p "$DESTDIR$dir"
        ln -sfn "$PREFIX/bin/$tool" "$target"
        record "$dir/$tool"
        say "linked $dir/$tool -> $PREFIX/bin/$tool"
    done
}
# shellcheck disable=SC2086
link_tools "$SBINDIR" $SBIN_TOOLS
# shellcheck disable=SC2086
link_tools "$BINDIR" $BIN_TOOLS

# ---- service files --------------------------------------------------------------------
install_file "$SRC/contrib/systemd/hacore.service" "$UNITDIR/hacore.service" 644
install_file "$SRC/contrib/init.d/hacore" "$SYSCONFDIR/init.d/hacore" 755
install_file "$SRC/contrib/tmpfiles.d/hacore.conf" "$TMPFILESDIR/hacore.conf" 644

# `service heartbeat ...` where Heartbeat is not installed: the same init script, and
# on systemd an alias of hacore.service (a real heartbeat.service wins if there is one).
heartbeat_init=$DESTDIR$SYSCONFDIR/init.d/heartbeat
if [ ! -e "$heartbeat_init" ] || grep -q "$MARKER" "$heartbeat_init"; then
    # insserv wants each name provided once
    install_file "$SRC/contrib/init.d/hacore" "$SYSCONFDIR/init.d/heartbeat" 755 \
        's/^# Provides:          hacore$/# Provides:          heartbeat/'
else
    say "skipped $SYSCONFDIR/init.d/heartbeat: Heartbeat's own init script is installed"
fi
heartbeat_unit=""
for dir in /lib/systemd/system /usr/lib/systemd/system /etc/systemd/system "$UNITDIR"; do
    unit=$DESTDIR$dir/heartbeat.service
    if [ -e "$unit" ] || [ -L "$unit" ]; then
        [ "$(readlink "$unit" || true)" = hacore.service ] || heartbeat_unit=$dir/heartbeat.service
    fi
done
if [ -z "$heartbeat_unit" ]; then
    ln -sfn hacore.service "$DESTDIR$UNITDIR/heartbeat.service"
    record "$UNITDIR/heartbeat.service"
    say "linked $UNITDIR/heartbeat.service -> hacore.service"
else
    say "skipped the heartbeat.service alias: $heartbeat_unit is installed"
fi

rotating=$(grep -ls '^[^#]*/var/log/ha-log' "$DESTDIR$SYSCONFDIR"/logrotate.d/* 2>/dev/null |
    grep -v '/hacore$' || true)
if [ -z "$rotating" ]; then
    install_file "$SRC/contrib/logrotate.d/hacore" "$SYSCONFDIR/logrotate.d/hacore" 644
else
    say "skipped $SYSCONFDIR/logrotate.d/hacore: $rotating already rotates /var/log/ha-log"
fi

defaults=$DESTDIR$SYSCONFDIR/default/hacore
if [ -e "$defaults" ]; then
    say "kept $SYSCONFDIR/default/hacore (yours)"
else
    install_file "$SRC/contrib/default/hacore" "$SYSCONFDIR/default/hacore" 644
fi
mkdir -p "$DESTDIR$SYSCONFDIR/ha.d"
mv "$MANIFEST.new" "$MANIFEST"

# ---- a live system: make the new files known ------------------------------------------
if [ -z "$DESTDIR" ] && [ "$SYSCONFDIR" = /etc ] && [ "$(id -u)" = 0 ]; then
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        systemd-tmpfiles --create "$TMPFILESDIR/hacore.conf" || true
    else
        mkdir -p /run/hacore /var/lib/hacore
    fi
fi
say "hacore $("$ROOT_PREFIX/bin/python" -c 'import hacore; print(hacore.__version__)') installed in $PREFIX."
say "Next: hacored --check, then 'systemctl enable --now hacore' (or 'update-rc.d hacore defaults; service hacore start')."

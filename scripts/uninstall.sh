#!/bin/sh
# `make uninstall`: removes what `make install` put in place (its list in
# PREFIX/share/hacore/installed-files) and the virtual environment. It leaves
# /etc/ha.d, the state in /var/lib/hacore (the node's uuid) and the logs alone, and
# keeps any installed file that was changed since (/etc/default/hacore...). Same
# variables as install.sh.
set -eu

DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/opt/hacore}
SYSCONFDIR=${SYSCONFDIR:-/etc}
ROOT_PREFIX=$DESTDIR$PREFIX
MANIFEST=$ROOT_PREFIX/share/hacore/installed-files

say() { printf '%s\n' "$*"; }
die() { printf 'make uninstall: %s\n' "$*" >&2; exit 1; }

[ -f "$MANIFEST" ] || die "no hacore installation in $ROOT_PREFIX (no $MANIFEST)"
if [ -z "$DESTDIR" ] && "$ROOT_PREFIX/bin/hacored" -s >/dev/null 2>&1; then
    die "hacored is running: stop it first (systemctl stop hacore, or service hacore stop)"
fi

while read -r sum path; do
    target=$DESTDIR$path
    if [ "$sum" = link ]; then
        if [ -L "$target" ]; then
            case $(readlink "$target") in
                "$PREFIX"/*|hacore.service) rm -f "$target"; say "removed $path";;
                *) say "kept $path (no longer hacore's)";;
            esac
        fi
    elif [ -f "$target" ]; then
        if [ "$(sha256sum < "$target" | cut -d' ' -f1)" = "$sum" ]; then
            rm -f "$target"
            say "removed $path"
        else
            say "kept $path (changed since installed)"
        fi
    fi
done < "$MANIFEST"

[ -f "$ROOT_PREFIX/pyvenv.cfg" ] && rm -rf "$ROOT_PREFIX" && say "removed $PREFIX"
if [ -z "$DESTDIR" ] && [ "$SYSCONFDIR" = /etc ] && [ "$(id -u)" = 0 ] &&
    [ -d /run/systemd/system ]; then
    systemctl daemon-reload
fi
say "hacore uninstalled; kept $SYSCONFDIR/ha.d, /var/lib/hacore and the logs."

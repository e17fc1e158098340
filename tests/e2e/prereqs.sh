#!/bin/sh
# Installs what tests/e2e/test_replication.py needs: the MariaDB server, client and
# backup tools, ncat and socat, iproute2 and util-linux. Run as root (.ci/run does).
# The distribution's own database service is never started, and is left disabled:
# the test runs its own servers inside namespaces.
set -eu

packages="mariadb-server mariadb-client mariadb-backup ncat socat iproute2"
packages="$packages util-linux procps"

missing=""
for package in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    case "$status" in
        *"ok installed"*) ;;
        *) missing="$missing $package" ;;
    esac
done

if [ -n "$missing" ]; then
    # A policy-rc.d answering 101 stops maintainer scripts from starting services;
    # one that is already there is kept aside and put back afterwards.
    policy=/usr/sbin/policy-rc.d
    saved=""
    if [ -e "$policy" ]; then
        saved=$(mktemp /usr/sbin/policy-rc.d.stsgen.XXXXXX)
        mv "$policy" "$saved"
    fi
    restore_policy() {
        rm -f "$policy"
        if [ -n "$saved" ]; then mv "$saved" "$policy"; fi
    }
    trap restore_policy EXIT
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"

    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing

    # Should an init system have started the service all the same, stop it; either
    # way take it out of the boot sequence. Only after installing it here: a service
    # someone runs on purpose is left alone.
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        systemctl disable --now mariadb >/dev/null 2>&1 || true
    else
        if [ -x /etc/init.d/mariadb ]; then
            /etc/init.d/mariadb stop >/dev/null 2>&1 || true
        fi
        # Without a running systemd this only removes the boot-time links.
        if command -v systemctl >/dev/null 2>&1; then
            systemctl disable mariadb >/dev/null 2>&1 || true
        fi
    fi
fi

PATH="$PATH:/usr/sbin:/sbin"
for tool in mariadbd mariadb mariadb-backup mbstream ncat socat ip unshare nsenter \
    setpriv; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "prereqs.sh: $tool is missing after the install" >&2
        exit 1
    fi
done

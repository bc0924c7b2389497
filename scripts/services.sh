#!/usr/bin/env bash
# Starts the services the tests need (PostgreSQL for prodline-store) if they
# are not running, and waits until they accept connections. Idempotent.
# Exits non-zero with a message saying what is wrong when it cannot.
set -euo pipefail

PG_HOST="${PG_HOST:-127.0.0.1}"
PG_WAIT_SECONDS="${PG_WAIT_SECONDS:-30}"

fail() {
    echo "services.sh: $*" >&2
    exit 1
}

pg_ready() {
    pg_isready -q -h "$PG_HOST"
}

start_postgres() {
    command -v pg_isready >/dev/null || fail "pg_isready not found: install the postgresql package"
    if pg_ready; then
        echo "PostgreSQL already accepting connections on $PG_HOST"
        return
    fi
    command -v pg_ctlcluster >/dev/null || fail "pg_ctlcluster not found: install postgresql-common"
    local version
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$version" ] || fail "no cluster under /etc/postgresql: create one with pg_createcluster"
    echo "starting PostgreSQL $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start \
        || fail "pg_ctlcluster $version main start failed (see /var/log/postgresql/)"
    for _ in $(seq "$PG_WAIT_SECONDS"); do
        if pg_ready; then
            echo "PostgreSQL accepting connections on $PG_HOST"
            return
        fi
        sleep 1
    done
    fail "PostgreSQL did not accept connections on $PG_HOST within ${PG_WAIT_SECONDS}s"
}

start_postgres

# MariaDB for prodline-connect's SQL target tests (legacy ERP tables on 127.0.0.1:3306;
# the config's `user = mysql` keeps mariadbd from running as root).
MARIADB_WAIT_SECONDS="${MARIADB_WAIT_SECONDS:-30}"

mariadb_ready() {
    mariadb-admin -h 127.0.0.1 ping >/dev/null 2>&1
}

start_mariadb() {
    command -v mariadb-admin >/dev/null || fail "mariadb-admin not found: install the mariadb-server package"
    if mariadb_ready; then
        echo "MariaDB already accepting connections on 127.0.0.1:3306"
        return
    fi
    echo "starting MariaDB"
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd \
        || fail "start-stop-daemon could not start /usr/sbin/mariadbd"
    for _ in $(seq "$MARIADB_WAIT_SECONDS"); do
        if mariadb_ready; then
            echo "MariaDB accepting connections on 127.0.0.1:3306"
            return
        fi
        sleep 1
    done
    fail "MariaDB did not accept connections on 127.0.0.1:3306 within ${MARIADB_WAIT_SECONDS}s"
}

start_mariadb

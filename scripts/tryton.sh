#!/usr/bin/env bash
# A real Tryton ERP for the Tryton target's tests, on 127.0.0.1, SQLite-backed.
#
#   scripts/tryton.sh setup    venv + trytond.conf + template database (idempotent)
#   scripts/tryton.sh start    setup, then serve a FRESH copy of the template
#                              database in the background and wait until it answers
#   scripts/tryton.sh stop     stop the server this script started
#   scripts/tryton.sh status   say whether it answers (exit 0) or not (exit 1)
#
# Everything lives under ${PRODLINE_TRYTON_HOME:-$HOME/.cache/prodline/tryton}:
#   venv/               trytond-sale 8.2.x from PyPI (pure Python, nothing compiled)
#   trytond.conf        SQLite under db/, listening on 127.0.0.1:${PRODLINE_TRYTON_PORT:-8765}
#   admin.password      the admin user's password (random, made once, mode 600)
#   db/template.sqlite  module sale activated; seeded by seed() below through
#                       trytond's Python API: currency USD, company "Prodline Test
#                       Co" given to admin, parties C0042 and C0077 with an address,
#                       goods HV-075-BR, HV-100-BR, GS-200 (unit "u", a list price)
#                       and OBS-1 (not salable)
#   db/prodline.sqlite  the copy the server serves (database name "prodline")
# Needs only python3 with venv and pip. Exits non-zero naming what is wrong.
set -euo pipefail

HOME_DIR="${PRODLINE_TRYTON_HOME:-$HOME/.cache/prodline/tryton}"
PORT="${PRODLINE_TRYTON_PORT:-8765}"
WAIT_SECONDS="${PRODLINE_TRYTON_WAIT_SECONDS:-60}"
TRYTON_SPEC='trytond-sale>=8.2,<8.3'
# Bump when the seed changes so that an old template is rebuilt.
TEMPLATE_VERSION=2
DB_NAME=prodline

VENV="$HOME_DIR/venv"
CONF="$HOME_DIR/trytond.conf"
PASSFILE="$HOME_DIR/admin.password"
DB_DIR="$HOME_DIR/db"
TEMPLATE="$DB_DIR/template.sqlite"
PIDFILE="$HOME_DIR/trytond.pid"
LOG="$HOME_DIR/trytond.log"

fail() {
    echo "tryton.sh: $*" >&2
    exit 1
}

ensure_venv() {
    if [ -x "$VENV/bin/trytond" ] && [ -f "$VENV/.prodline-ok" ]; then
        return
    fi
    command -v python3 >/dev/null || fail "python3 not found: install python3 (with venv and pip)"
    mkdir -p "$HOME_DIR"
    echo "tryton.sh: creating $VENV with $TRYTON_SPEC"
    python3 -m venv "$VENV" || fail "python3 -m venv failed: install python3-venv"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "$TRYTON_SPEC" \
        || fail "pip install '$TRYTON_SPEC' failed (is PyPI reachable?)"
    touch "$VENV/.prodline-ok"
}

ensure_conf() {
    mkdir -p "$DB_DIR"
    cat >"$CONF.tmp" <<EOF
[database]
uri = sqlite://
path = $DB_DIR

[web]
listen = 127.0.0.1:$PORT
EOF
    mv "$CONF.tmp" "$CONF"
    if [ ! -s "$PASSFILE" ]; then
        (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(18))' >"$PASSFILE")
    fi
}

ensure_template() {
    local stamp="$DB_DIR/template.version"
    if [ -s "$TEMPLATE" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$TEMPLATE_VERSION" ]; then
        return
    fi
    echo "tryton.sh: preparing the template database (trytond-admin -u sale, then the seed)"
    rm -f "$TEMPLATE" "$stamp"
    : >"$TEMPLATE"
    TRYTONPASSFILE="$PASSFILE" "$VENV/bin/trytond-admin" -c "$CONF" -d template \
        --email admin@example.com -u sale --activate-dependencies >"$HOME_DIR/admin.log" 2>&1 \
        || { rm -f "$TEMPLATE"; fail "trytond-admin failed: see $HOME_DIR/admin.log"; }
    seed >"$HOME_DIR/seed.log" 2>&1 \
        || { rm -f "$TEMPLATE"; fail "seeding the template failed: see $HOME_DIR/seed.log"; }
    echo "$TEMPLATE_VERSION" >"$stamp"
}

# The master data the tests deliver against, written as root inside one
# transaction (committed when the block exits without an exception).
seed() {
    "$VENV/bin/python" - "$CONF" template <<'EOF'
import sys
from decimal import Decimal

from trytond import config

config.update_etc(sys.argv[1])
from trytond.pool import Pool  # noqa: E402 (needs the configuration first)
from trytond.transaction import Transaction  # noqa: E402

database = sys.argv[2]
Pool.start()
pool = Pool(database)
pool.init()

with Transaction().start(database, 0):
    Currency, Party, Company, User = (pool.get(name) for name in (
        'currency.currency', 'party.party', 'company.company', 'res.user'))
    usd, = Currency.create([{'name': 'U.S. Dollar', 'code': 'USD', 'symbol': '$',
                             'rounding': Decimal('0.01'), 'digits': 2}])
    company_party, = Party.create([{'name': 'Prodline Test Co'}])
    company, = Company.create([{'party': company_party.id, 'currency': usd.id}])
    admin, = User.search([('login', '=', 'admin')])
    User.write([admin], {'companies': [('add', [company.id])], 'company': company.id})
    company_id = company.id

with Transaction().start(database, 0, context={'company': company_id}):
    Party, Template, Uom = (pool.get(name) for name in (
        'party.party', 'product.template', 'product.uom'))
    unit, = Uom.search([('symbol', '=', 'u')])
    Party.create([
        {'name': 'Acme Valves Inc', 'code': 'C0042',
         'addresses': [('create', [{'street': '1 Main St', 'city': 'Springfield'}])]},
        {'name': 'Brass Works LLC', 'code': 'C0077',
         'addresses': [('create', [{'street': '9 Dock Rd', 'city': 'Shelbyville'}])]},
    ])
    goods = [('HV-075-BR', '3/4in brass ball valve', '11.85'),
             ('HV-100-BR', '1in brass ball valve', '14.20'),
             ('GS-200', 'Gasket set', '3.50')]
    # OBS-1 is not salable: Tryton itself refuses it on a sale line.
    goods.append(('OBS-1', 'Obsolete valve', '1.00'))
    Template.create([
        {'name': name, 'type': 'goods', 'default_uom': unit.id, 'salable': sku != 'OBS-1',
         'sale_uom': unit.id, 'list_price': Decimal(price),
         'products': [('create', [{'suffix_code': sku}])]}
        for sku, name, price in goods])
print('seeded company', company_id)
EOF
}

setup() {
    ensure_venv
    ensure_conf
    ensure_template
}

# Answers = the admin can log in to the served database: the server is up and
# the database is loaded, which is what a client needs.
answers() {
    "$VENV/bin/python" - "$PORT" "$DB_NAME" "$PASSFILE" <<'EOF' >/dev/null 2>&1
import json, sys, urllib.request
port, database, passfile = sys.argv[1:4]
with open(passfile) as file:
    password = file.read().strip()
body = json.dumps({"id": 0, "method": "common.db.login",
                   "params": ["admin", {"password": password}, "en"]}).encode()
request = urllib.request.Request(f"http://127.0.0.1:{port}/{database}/rpc/", data=body,
                                 headers={"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=2) as response:
    sys.exit(0 if json.load(response).get("result") else 1)
EOF
}

running_pid() {
    local pid
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        echo "$pid"
    fi
}

stop() {
    local pid
    pid="$(running_pid)"
    if [ -z "$pid" ]; then
        rm -f "$PIDFILE"
        return
    fi
    kill "$pid"
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    rm -f "$PIDFILE"
    echo "tryton.sh: stopped trytond (pid $pid)"
}

start() {
    setup
    stop
    if answers; then
        fail "port $PORT already answers but not from a server this script started: set PRODLINE_TRYTON_PORT"
    fi
    # A journal or WAL left by the previous server would corrupt the fresh copy.
    rm -f "$DB_DIR/$DB_NAME.sqlite" "$DB_DIR/$DB_NAME.sqlite-"*
    cp "$TEMPLATE" "$DB_DIR/$DB_NAME.sqlite"
    nohup "$VENV/bin/trytond" -c "$CONF" -d "$DB_NAME" >"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    for _ in $(seq $((WAIT_SECONDS * 4))); do
        if answers; then
            echo "tryton.sh: trytond answers on http://127.0.0.1:$PORT/$DB_NAME/ (password file $PASSFILE)"
            return
        fi
        [ -n "$(running_pid)" ] || fail "trytond exited: see $LOG"
        sleep 0.25
    done
    stop
    fail "trytond did not answer on 127.0.0.1:$PORT within ${WAIT_SECONDS}s: see $LOG"
}

status() {
    if [ -x "$VENV/bin/python" ] && answers; then
        echo "tryton.sh: trytond answers on 127.0.0.1:$PORT"
        return 0
    fi
    echo "tryton.sh: nothing answers on 127.0.0.1:$PORT"
    return 1
}

case "${1:-start}" in
setup) setup ;;
start) start ;;
stop) stop ;;
status) status ;;
*) fail "usage: $0 setup|start|stop|status" ;;
esac

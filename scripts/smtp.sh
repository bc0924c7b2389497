#!/usr/bin/env bash
# A real SMTP server (Python's aiosmtpd) for prodline-alerts' tests, on 127.0.0.1.
#
#   scripts/smtp.sh start    install if missing, write the files, start the server unless it
#                            runs already, and wait until it answers; safe to run while it runs
#   scripts/smtp.sh stop     stop the server this script started
#   scripts/smtp.sh status   say whether it answers (exit 0) or not (exit 1)
#
# Installs the Debian packages python3-aiosmtpd and openssl when missing
# (apt-get update first, only then, non-interactive). Everything this server
# reads and writes lives under ${PRODLINE_SMTP_DIR:-/tmp/prodline-smtp}:
#   server.py         the server: ${PRODLINE_SMTP_PORT:-10025} (plain, STARTTLS offered) and
#                     ${PRODLINE_SMTP_TLS_PORT:-10465} (implicit TLS), both on 127.0.0.1 only
#   mail/new/*.eml    each accepted message as received, after four headers the server adds:
#                     X-MailFrom and X-RcptTo (the envelope), X-Prodline-Tls (yes/no) and
#                     X-Prodline-Login (the authenticated user, or -)
#   cert.pem key.pem  a self-signed certificate for CN and SAN "localhost" and IP 127.0.0.1;
#                     clients trust it through prodline's `ca_file = ".../cert.pem"`
#   server.pid log    the daemon's pid and its log
# AUTH (PLAIN, LOGIN) is offered only over TLS: user "alerts", password "prodline-test"
# (a fixed test password: this server only ever holds test mail on loopback). It
# relays nothing: every message is only written to mail/.
# Exits non-zero naming what is wrong.
set -euo pipefail

DIR="${PRODLINE_SMTP_DIR:-/tmp/prodline-smtp}"
PORT="${PRODLINE_SMTP_PORT:-10025}"
TLS_PORT="${PRODLINE_SMTP_TLS_PORT:-10465}"
WAIT_SECONDS="${PRODLINE_SMTP_WAIT_SECONDS:-30}"
USER_NAME=alerts
PASSWORD=prodline-test
# The system interpreter, where the Debian package installs aiosmtpd (not a pyenv or venv one).
PYTHON=/usr/bin/python3
# The EHLO greeting names this server, so `answers` knows it is ours.
GREETING=prodline-smtp
LOG="$DIR/log"
PID_FILE="$DIR/server.pid"

fail() {
    echo "smtp.sh: $*" >&2
    exit 1
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_packages() {
    local missing=()
    [ -x "$PYTHON" ] && "$PYTHON" -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
    command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    [ "${#missing[@]}" -eq 0 ] && return
    echo "smtp.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq || fail "apt-get update failed"
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || fail "apt-get install ${missing[*]} failed"
    "$PYTHON" -c 'import aiosmtpd' >/dev/null 2>&1 || fail "aiosmtpd is still missing after installing python3-aiosmtpd"
}

ensure_files() {
    mkdir -p "$DIR/mail/tmp" "$DIR/mail/new"
    if [ ! -s "$DIR/cert.pem" ] || [ ! -s "$DIR/key.pem" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -addext "basicConstraints=critical,CA:FALSE" \
            -keyout "$DIR/key.pem.tmp" -out "$DIR/cert.pem.tmp" >/dev/null 2>&1 \
            || fail "openssl could not make the self-signed certificate"
        chmod 600 "$DIR/key.pem.tmp"
        mv "$DIR/key.pem.tmp" "$DIR/key.pem"
        mv "$DIR/cert.pem.tmp" "$DIR/cert.pem"
    fi
    write_server
}

write_server() {
    cat >"$DIR/server.py.tmp" <<'EOF'
"""Accepts mail on 127.0.0.1 and writes each message to mail/new/ (written to mail/tmp/ first)."""
import itertools, os, ssl, sys, threading, time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

directory, port, tls_port, user, password, greeting = sys.argv[1:7]
counter = itertools.count()


class Maildir:
    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.decode("utf-8", "replace") if isinstance(session.auth_data, bytes) else "-"
        # session.ssl is set by STARTTLS only; the implicit-TLS port shows in the transport.
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        added = (
            f"X-MailFrom: {envelope.mail_from}\r\n"
            f"X-RcptTo: {', '.join(envelope.rcpt_tos)}\r\n"
            f"X-Prodline-Tls: {'yes' if tls else 'no'}\r\n"
            f"X-Prodline-Login: {login}\r\n"
        ).encode()
        name = f"{time.time_ns()}-{os.getpid()}-{next(counter)}.eml"
        temporary = os.path.join(directory, "mail", "tmp", name)
        with open(temporary, "wb") as file:
            file.write(added + envelope.original_content)
        os.rename(temporary, os.path.join(directory, "mail", "new", name))
        return "250 OK: stored"


def authenticate(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == user.encode() and data.password == password.encode()
    return AuthResult(success=ok, auth_data=data.login if ok else None)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem"))
common = dict(server_hostname=greeting, authenticator=authenticate)
plain = Controller(Maildir(), hostname="127.0.0.1", port=int(port), tls_context=context, auth_require_tls=True, **common)
# aiosmtpd counts only STARTTLS as TLS for auth_require_tls; this port is TLS from the first byte.
wrapped = Controller(Maildir(), hostname="127.0.0.1", port=int(tls_port), ssl_context=context, auth_require_tls=False, **common)
plain.start()
wrapped.start()
print(f"listening on 127.0.0.1:{port} and 127.0.0.1:{tls_port} (TLS)", flush=True)
threading.Event().wait()
EOF
    mv "$DIR/server.py.tmp" "$DIR/server.py"
}

# Answers = an SMTP session greets with our name: the server is up and is ours.
answers() {
    "$PYTHON" - "$PORT" "$GREETING" <<'EOF' >/dev/null 2>&1
import smtplib, sys
port, greeting = sys.argv[1:3]
client = smtplib.SMTP("127.0.0.1", int(port), timeout=10)
code, message = client.ehlo("prodline-check")
client.quit()
sys.exit(0 if code == 250 and message.decode().startswith(greeting) else 1)
EOF
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running_pid() {
    local pid
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        echo "$pid"
    fi
}

stop() {
    local pid
    pid="$(running_pid)"
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        [ -n "$(running_pid)" ] || break
        sleep 0.1
    done
    rm -f "$PID_FILE"
    echo "smtp.sh: stopped the SMTP server"
}

how_to_reach() {
    echo "smtp.sh: SMTP answers on 127.0.0.1:$PORT (plain/STARTTLS) and 127.0.0.1:$TLS_PORT (TLS);" \
        "AUTH over TLS as $USER_NAME / $PASSWORD, CA file $DIR/cert.pem, messages in $DIR/mail/new"
}

start() {
    # Tests start the server from several processes at once: one at a time.
    mkdir -p "$DIR"
    exec 9>"$DIR/.start.lock"
    flock 9 || fail "cannot lock $DIR/.start.lock"
    ensure_packages
    ensure_files
    if [ -z "$(running_pid)" ]; then
        if port_open "$PORT" || port_open "$TLS_PORT"; then
            fail "127.0.0.1:$PORT or :$TLS_PORT is taken, not by a server this script started:" \
                "set PRODLINE_SMTP_PORT and PRODLINE_SMTP_TLS_PORT"
        fi
        # setsid: the daemon outlives this shell; 9>&-: it must not hold the start lock forever.
        setsid "$PYTHON" "$DIR/server.py" "$DIR" "$PORT" "$TLS_PORT" "$USER_NAME" "$PASSWORD" "$GREETING" \
            </dev/null >>"$LOG" 2>&1 9>&- &
        echo $! >"$PID_FILE"
    fi
    for _ in $(seq $((WAIT_SECONDS * 4))); do
        if answers; then
            how_to_reach
            return
        fi
        [ -n "$(running_pid)" ] || fail "the SMTP server exited: see $LOG"
        sleep 0.25
    done
    fail "the SMTP server did not answer on 127.0.0.1:$PORT within ${WAIT_SECONDS}s: see $LOG"
}

status() {
    if answers; then
        how_to_reach
        return 0
    fi
    echo "smtp.sh: nothing answers on 127.0.0.1:$PORT"
    return 1
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
status) status ;;
*) fail "usage: $0 start|stop|status" ;;
esac

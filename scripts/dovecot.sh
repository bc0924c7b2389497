#!/usr/bin/env bash
# A real Dovecot IMAP server for prodline-imap's tests, on 127.0.0.1.
#
#   scripts/dovecot.sh start    install if missing, write the config, start the server unless it
#                               runs already, and wait until it answers; safe to run while it runs
#   scripts/dovecot.sh stop     stop the server this script started
#   scripts/dovecot.sh status   say whether it answers (exit 0) or not (exit 1)
#
# Installs the Debian packages dovecot-imapd and openssl when missing
# (apt-get update first, only then, non-interactive). The package's own
# system-wide service is not used: everything this server reads and writes
# lives under ${PRODLINE_DOVECOT_DIR:-/tmp/prodline-dovecot}:
#   dovecot.conf      listens on 127.0.0.1 only: ${PRODLINE_DOVECOT_PORT:-10143} (plain and
#                     STARTTLS) and ${PRODLINE_DOVECOT_TLS_PORT:-10993} (implicit TLS)
#   users             passwd-file: user "orders", password "prodline-test" (a fixed test
#                     password: this server only ever holds test mail on loopback)
#   mail/<user>/      maildir storage
#   cert.pem key.pem  a self-signed certificate for CN and SAN "localhost" and IP 127.0.0.1;
#                     clients trust it through prodline's `ca_file = ".../cert.pem"`
#   run/ log          base_dir (master pid) and the log
# Dovecot runs its login and mail processes as the users the package creates
# (dovecot, dovenull) and, for mail, as the uid owning the mail folder.
# Exits non-zero naming what is wrong.
set -euo pipefail

DIR="${PRODLINE_DOVECOT_DIR:-/tmp/prodline-dovecot}"
PORT="${PRODLINE_DOVECOT_PORT:-10143}"
TLS_PORT="${PRODLINE_DOVECOT_TLS_PORT:-10993}"
WAIT_SECONDS="${PRODLINE_DOVECOT_WAIT_SECONDS:-30}"
USER_NAME=orders
PASSWORD=prodline-test
CONF="$DIR/dovecot.conf"
RUN="$DIR/run"
LOG="$DIR/dovecot.log"

fail() {
    echo "dovecot.sh: $*" >&2
    exit 1
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_packages() {
    local missing=()
    command -v dovecot >/dev/null 2>&1 && [ -x /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)
    command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    [ "${#missing[@]}" -eq 0 ] && return
    echo "dovecot.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq || fail "apt-get update failed"
    # The package would start the system-wide service; we run our own instance instead.
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || fail "apt-get install ${missing[*]} failed"
    command -v dovecot >/dev/null 2>&1 || fail "dovecot is still missing after installing dovecot-imapd"
}

ensure_files() {
    mkdir -p "$DIR" "$RUN" "$DIR/mail"
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
    local uid gid
    uid="$(id -u)"
    gid="$(id -g)"
    # Mail is stored as the user running this script (root in CI is refused by
    # dovecot as a mail uid, so root's mail belongs to the dovecot user).
    if [ "$uid" = 0 ]; then
        uid="$(id -u dovecot)"
        gid="$(id -g dovecot)"
        chown "$uid:$gid" "$DIR/mail"
    fi
    echo "$USER_NAME:{PLAIN}$PASSWORD:$uid:$gid::$DIR/mail/$USER_NAME::" >"$DIR/users.tmp"
    mv "$DIR/users.tmp" "$DIR/users"
    local version
    version="$(dovecot --version | cut -d. -f1,2)"
    if [ "$version" = "2.3" ]; then write_conf_23; else write_conf_24; fi
}

write_conf_23() {
    cat >"$CONF.tmp" <<EOF
base_dir = $RUN
instance_name = prodline-dovecot-$PORT
log_path = $LOG
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$DIR/cert.pem
ssl_key = <$DIR/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN $DIR/users
}
userdb {
  driver = passwd-file
  args = $DIR/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $TLS_PORT
    ssl = yes
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
    mv "$CONF.tmp" "$CONF"
}

write_conf_24() {
    cat >"$CONF.tmp" <<EOF
dovecot_config_version = $(dovecot --version | cut -d' ' -f1)
dovecot_storage_version = $(dovecot --version | cut -d' ' -f1)
base_dir = $RUN
instance_name = prodline-dovecot-$PORT
log_path = $LOG
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_server_cert_file = $DIR/cert.pem
ssl_server_key_file = $DIR/key.pem
auth_allow_cleartext = yes
auth_mechanisms = plain login
mail_driver = maildir
mail_path = ~/Maildir
first_valid_uid = 1
passdb passwd-file {
  passwd_file_path = $DIR/users
}
userdb passwd-file {
  passwd_file_path = $DIR/users
}
service imap-login {
  inet_listener imap {
    listen = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    listen = 127.0.0.1
    port = $TLS_PORT
    ssl = yes
  }
}
EOF
    mv "$CONF.tmp" "$CONF"
}

# Answers = a login succeeds on the plain port: the server is up and reads our users.
answers() {
    command -v python3 >/dev/null 2>&1 || { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; return; }
    python3 - "$PORT" "$USER_NAME" "$PASSWORD" <<'EOF' >/dev/null 2>&1
import imaplib, sys
port, user, password = sys.argv[1:4]
client = imaplib.IMAP4("127.0.0.1", int(port), timeout=10)
client.login(user, password)
client.logout()
EOF
}

running_pid() {
    local pid
    pid="$(cat "$RUN/master.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        echo "$pid"
    fi
}

stop() {
    if [ -z "$(running_pid)" ]; then
        return
    fi
    dovecot -c "$CONF" stop >/dev/null 2>&1 || true
    for _ in $(seq 50); do
        [ -n "$(running_pid)" ] || break
        sleep 0.1
    done
    echo "dovecot.sh: stopped dovecot"
}

how_to_reach() {
    echo "dovecot.sh: dovecot answers on 127.0.0.1:$PORT (plain/STARTTLS) and 127.0.0.1:$TLS_PORT (TLS);" \
        "user $USER_NAME, password $PASSWORD, CA file $DIR/cert.pem"
}

start() {
    # Tests start the server from several processes at once: one at a time.
    mkdir -p "$DIR"
    exec 9>"$DIR/.start.lock"
    flock 9 || fail "cannot lock $DIR/.start.lock"
    ensure_packages
    ensure_files
    if [ -z "$(running_pid)" ]; then
        if answers; then
            fail "127.0.0.1:$PORT already answers but not from a server this script started: set PRODLINE_DOVECOT_PORT"
        fi
        # 9>&-: the daemon must not inherit (and so hold forever) the start lock.
        dovecot -c "$CONF" >>"$DIR/start.log" 2>&1 9>&- || fail "dovecot did not start: see $DIR/start.log and $LOG"
    fi
    for _ in $(seq $((WAIT_SECONDS * 4))); do
        if answers; then
            how_to_reach
            return
        fi
        [ -n "$(running_pid)" ] || fail "dovecot exited: see $LOG"
        sleep 0.25
    done
    fail "dovecot did not answer on 127.0.0.1:$PORT within ${WAIT_SECONDS}s: see $LOG"
}

status() {
    if answers; then
        how_to_reach
        return 0
    fi
    echo "dovecot.sh: nothing answers on 127.0.0.1:$PORT"
    return 1
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
status) status ;;
*) fail "usage: $0 start|stop|status" ;;
esac

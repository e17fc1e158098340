{#- Shared shell functions for every flavour and container; lib.sh includes them
    after the flavour fragment (_scripts/mysql.sh or _scripts/mariadb.sh), which
    defines the engine's commands. Paths and names come from the container's
    environment, so a test can run the same text with other directories and
    hostnames. #}
# --- shared by both flavours: ordinal, server-id, peers, staging, positions ---
: "${DATA_DIR:?}" "${CONF_DIR:?}" "${SERVICE_NAME:?}"
: "${SERVER_ID_OFFSET:=100}" "${MYSQL_PORT:=3306}" "${SEED_PORT:=3307}"
: "${TMP_DIR:=/tmp}"
SEED_MARKER=stsgen-seed-position
STAGING_DIR=$DATA_DIR/.stsgen-staging

# Messages name the script that logs them: init-config, seed-data or sidecar.
log() {
  local script=${0##*/}
  printf '%s: %s\n' "${script%.sh}" "$*" >&2
}

# The pod's ordinal: StatefulSet pods are named <statefulset>-<ordinal>.
pod_ordinal() {
  if [[ ! ${HOSTNAME:-} =~ -([0-9]+)$ ]]; then
    log "hostname '${HOSTNAME:-}' does not end in -<ordinal>"
    return 1
  fi
  echo "$((10#${BASH_REMATCH[1]}))"
}

# server-id 0 makes a server refuse to replicate, hence the offset.
server_id() { echo "$((SERVER_ID_OFFSET + $1))"; }

# The stable DNS name of the pod with ordinal $1, through the headless Service.
peer_host() { echo "${HOSTNAME%-*}-$1.${SERVICE_NAME}"; }

# The name the servers run as: the pod's user, numeric when it has no name.
os_user() { id -un 2>/dev/null || id -u; }

# A data directory is complete once its mysql/ schema folder exists: every path
# that fills one (bootstrap, backup, clone) moves that folder in last.
data_complete() { [[ -d $DATA_DIR/mysql ]]; }

# Moves a finished staging directory into DATA_DIR, the mysql/ folder last, after
# clearing what an interrupted earlier attempt may have left there.
publish_staging() {
  local staging=$1 entry
  shopt -s dotglob nullglob
  for entry in "$DATA_DIR"/*; do
    if [[ $entry != "$staging" ]]; then
      rm -rf -- "$entry"
    fi
  done
  for entry in "$staging"/*; do
    if [[ ${entry##*/} != mysql ]]; then
      mv -- "$entry" "$DATA_DIR/"
    fi
  done
  shopt -u dotglob nullglob
  mv -- "$staging/mysql" "$DATA_DIR/mysql"
  rmdir -- "$staging"
}

# A value as an SQL string literal.
sql_string() {
  local text=${1//\\/\\\\}
  printf "'%s'" "${text//\'/\'\'}"
}

# A value as a double-quoted option-file value.
option_value() {
  local text=${1//\\/\\\\}
  printf '"%s"' "${text//\"/\\\"}"
}

# The metadata file $2 (checkpoints, info, binlog_info) of the backup in $1:
# MariaDB 11 renamed xtrabackup_* to mariadb_backup_*.
backup_file() {
  local name
  for name in "xtrabackup_$2" "mariadb_backup_$2"; do
    if [[ -f $1/$name ]]; then
      echo "$1/$name"
      return 0
    fi
  done
  return 1
}

# The GTID position the backup in $1 was taken at. The binlog-info file holds
# "file position gtid-set" and the set may be spread over several lines.
backup_gtid_position() {
  local info binlog_file binlog_position gtid=""
  info=$(backup_file "$1" binlog_info) || {
    log "the backup has no binlog-info file: is the binary log on at the source?"
    return 1
  }
  read -r -d '' binlog_file binlog_position gtid <"$info" || true
  gtid=${gtid//[[:space:]]/}
  if [[ -z $gtid ]]; then
    # The source has run no logged transaction yet: replication starts at the
    # beginning of the primary's binary log.
    log "$info: no GTID set after $binlog_file $binlog_position"
  fi
  check_gtid_position "$gtid" || return 1
  echo "$gtid"
}

# GTID sets only hold these characters; anything else must not reach SQL.
check_gtid_position() {
  if [[ ! $1 =~ ^[A-Za-z0-9_:,-]*$ ]]; then
    log "'$1' is not a GTID position"
    return 1
  fi
}

# True once the streamed backup in $1 carries the files written at its very end.
backup_complete() {
  local name
  for name in checkpoints info binlog_info; do
    if ! backup_file "$1" "$name" >/dev/null; then
      log "the backup stream ended before its $name file: incomplete transfer"
      return 1
    fi
  done
}

# Receives the backup stream of pod $1 into the empty directory $2.
receive_backup() {
  local peer=$1 staging=$2
  log "receiving a backup from $peer:$SEED_PORT"
  # pipefail: a refused connection must fail the pipeline, not pass as empty input.
  if ! socat -u "TCP:$peer:$SEED_PORT,connect-timeout=10" STDOUT \
    | "$STREAM_BIN" -x -C "$staging"; then
    log "receiving from $peer failed"
    return 1
  fi
  backup_complete "$staging"
}

# Seeds an empty data directory from the backup stream of the pod before this one,
# retrying while that pod's sidecar is not listening yet.
seed_from_backup() {
  local ordinal=$1 peer attempt gtid
  peer=$(peer_host "$((ordinal - 1))")
  for ((attempt = 1; ; attempt++)); do
    rm -rf -- "$STAGING_DIR"
    mkdir -p -- "$STAGING_DIR"
    if receive_backup "$peer" "$STAGING_DIR"; then
      break
    fi
    if ((attempt >= ${SEED_ATTEMPTS:-150})); then
      log "no complete backup from $peer after $attempt attempts"
      return 1
    fi
    sleep "${SEED_RETRY_SECONDS:-2}"
  done
  prepare_backup "$STAGING_DIR"
  gtid=$(backup_gtid_position "$STAGING_DIR")
  # The copy's own server identity must not travel with it.
  rm -f -- "$STAGING_DIR/auto.cnf"
  printf 'backup %s\n' "$gtid" >"$STAGING_DIR/$SEED_MARKER"
  publish_staging "$STAGING_DIR"
  log "seeded from $peer at GTID position $gtid"
}

# A seeded copy may carry its donor's replication settings; the server must not
# start replicating with them before the sidecar has set the seed's position.
hold_replication() {
  printf '[mysqld]\n%s\n' "$REPLICATION_HOLD" >>"$CONF_DIR/my.cnf"
}

# Drops the hold from my.cnf, so that later restarts of the server resume
# replication by themselves.
release_replication_hold() {
  local file=$CONF_DIR/my.cnf line
  # my.cnf holds the root password: the copy is as private as the original.
  (
    umask 077
    while IFS= read -r line; do
      if [[ $line != "$REPLICATION_HOLD" ]]; then
        printf '%s\n' "$line"
      fi
    done <"$file" >"$file.tmp"
  )
  mv -- "$file.tmp" "$file"
}

# Waits until the local server answers queries over TCP, saying every 30 tries
# why it does not (a changed root password, say, never heals by itself).
wait_for_server() {
  local attempt error
  for ((attempt = 1; ; attempt++)); do
    if error=$("$CLIENT_BIN" --defaults-file="$CONF_DIR/my.cnf" -e 'SELECT 1' \
      2>&1 >/dev/null); then
      return 0
    fi
    if ((attempt % 30 == 0)); then
      log "the server does not answer yet: ${error:-no message}"
    fi
    sleep 1
  done
}

# Starts a server on the data directory $1 for local setup only: no TCP, its
# socket and pid file under $2.
start_local_server() {
  "$SERVER_BIN" --defaults-file="$CONF_DIR/my.cnf" --datadir="$1" \
    --skip-networking --socket="$2/mysqld.sock" --pid-file="$2/mysqld.pid" \
    "${LOCAL_SERVER_OPTIONS[@]}" &
  LOCAL_SERVER_PID=$!
  # A failing setup step must not leave the server running behind it.
  trap stop_local_server EXIT
  until local_client -e 'SELECT 1' >/dev/null 2>&1; do
    if ! kill -0 "$LOCAL_SERVER_PID" 2>/dev/null; then
      log "the local setup server exited before accepting connections"
      return 1
    fi
    sleep 1
  done
}

stop_local_server() {
  trap - EXIT
  kill -TERM "$LOCAL_SERVER_PID" 2>/dev/null || true
  wait "$LOCAL_SERVER_PID" || true
}

# The SQL that creates the accounts of values.yaml's auth section; the root
# password and the host root may log in from come from the flavour fragment.
accounts_sql() {
  local root app repl
  root=$(sql_string "${ROOT_PASSWORD:-}")
  repl=$(sql_string "${REPLICATION_PASSWORD:-}")
  app=$(sql_string "${USER_PASSWORD:-}")
  echo "SET SESSION sql_log_bin = 0;"
  root_account_sql "$root"
  echo "CREATE USER '$REPLICATION_USER'@'%' IDENTIFIED BY $repl;"
  echo "GRANT $REPLICATION_GRANTS ON *.* TO '$REPLICATION_USER'@'%';"
  echo "CREATE DATABASE IF NOT EXISTS \`$APP_DATABASE\`;"
  echo "CREATE USER '$APP_USER'@'%' IDENTIFIED BY $app;"
  echo "GRANT ALL PRIVILEGES ON \`$APP_DATABASE\`.* TO '$APP_USER'@'%';"
}

# Creates the primary's data directory and its accounts, in staging first so that
# an interrupted bootstrap is redone rather than taken for complete.
bootstrap_primary() {
  local rundir
  log "initialising an empty data directory for the primary"
  rm -rf -- "$STAGING_DIR"
  initialize_datadir "$STAGING_DIR"
  rundir=$(mktemp -d "$TMP_DIR/bootstrap.XXXXXX")
  LOCAL_SOCKET=$rundir/mysqld.sock
  start_local_server "$STAGING_DIR" "$rundir"
  accounts_sql | local_client
  stop_local_server
  rm -rf -- "$rundir"
  publish_staging "$STAGING_DIR"
  log "primary data directory ready"
}

# Writes my.cnf: the ConfigMap's common settings, the role's, this pod's identity,
# the user's extra settings, then the client login every local tool reads.
write_config() {
  local ordinal=$1 role=replica file=$CONF_DIR/my.cnf group
  if ((ordinal == 0)); then
    role=primary
  fi
  umask 077
  {
    cat "$CONFIG_MAP_DIR/common.cnf" "$CONFIG_MAP_DIR/$role.cnf"
    printf '[mysqld]\nserver-id=%s\nreport-host=%s\n' \
      "$(server_id "$ordinal")" "$(peer_host "$ordinal")"
    # mysqld refuses to run as root unless told to. As the pod's own user the line
    # stays out: the backup tools would also read it as their login name.
    if (($(id -u) == 0)); then
      echo "user=root"
    fi
    if [[ -f $CONFIG_MAP_DIR/custom.cnf ]]; then
      cat "$CONFIG_MAP_DIR/custom.cnf"
    fi
    for group in client "$BACKUP_GROUP"; do
      printf '[%s]\nuser=root\nhost=127.0.0.1\nport=%s\n' "$group" "$MYSQL_PORT"
      if [[ -n ${ROOT_PASSWORD:-} ]]; then
        printf 'password=%s\n' "$(option_value "$ROOT_PASSWORD")"
      fi
    done
  } >"$file.tmp"
  mv -- "$file.tmp" "$file"
  log "wrote $role configuration with server-id $(server_id "$ordinal")"
}

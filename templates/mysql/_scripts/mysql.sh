{#- The MySQL flavour's commands and SQL for the shared functions in common.sh;
    the SQL follows values.mysql.version (5.7 keeps the MASTER/SLAVE statements,
    8.0 has the REPLICATION SOURCE/REPLICA ones, 8.4 removed RESET MASTER). #}
{% set version = values.mysql.version %}
{% set clone = values.replication.seed == "clone" %}
# --- MySQL {{ version }}: commands and SQL ---
SERVER_BIN=mysqld
CLIENT_BIN=mysql
STREAM_BIN=xbstream
BACKUP_GROUP=xtrabackup
{% if clone %}
# The donor side of CLONE INSTANCE needs BACKUP_ADMIN.
REPLICATION_GRANTS="REPLICATION SLAVE, BACKUP_ADMIN"
{% else %}
REPLICATION_GRANTS="REPLICATION SLAVE"
{% endif %}
{% if version == "5.7" %}
REPLICATION_HOLD=skip-slave-start=ON
{% else %}
REPLICATION_HOLD=skip-replica-start=ON
{% endif %}
# The X Protocol plugin would try to open its own socket and port while setting up.
LOCAL_SERVER_OPTIONS=(--loose-mysqlx=OFF)

# Creates a new data directory in $1 whose root@localhost has no password yet
# (read-only settings of a replica's my.cnf do not apply to this step).
initialize_datadir() {
  mysqld --defaults-file="$CONF_DIR/my.cnf" --initialize-insecure --datadir="$1" \
    --super-read-only=OFF --read-only=OFF
}

# A client of the local setup server, as the root account --initialize-insecure made.
local_client() {
  mysql --no-defaults --socket="$LOCAL_SOCKET" --user=root "$@"
}

# Root logs in with the Secret's password over the socket and from auth.rootHost.
root_account_sql() {
  echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $1;"
  if [[ $ROOT_HOST != localhost ]]; then
    echo "CREATE USER 'root'@'$ROOT_HOST' IDENTIFIED BY $1;"
    echo "GRANT ALL PRIVILEGES ON *.* TO 'root'@'$ROOT_HOST' WITH GRANT OPTION;"
  fi
  # The pod's own tools and probes log in over TCP from 127.0.0.1.
  if [[ $ROOT_HOST != "%" && $ROOT_HOST != 127.0.0.1 ]]; then
    echo "CREATE USER 'root'@'127.0.0.1' IDENTIFIED BY $1;"
    echo "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
  fi
}

# Prepares the backup in $1 with the settings it was taken with.
prepare_backup() {
  xtrabackup --defaults-file="$1/backup-my.cnf" --prepare --target-dir="$1"
}

# The SQL that makes this server replicate from the primary. $1 is how it was
# seeded: after a backup the GTID history is reset to the backup's set $2; a clone
# already carried the donor's history over.
replication_sql() {
  local password primary
  password=$(sql_string "${REPLICATION_PASSWORD:-}")
  primary=$(sql_string "$(peer_host 0)")
  # super_read_only would refuse the GTID reset; it is back on at the end.
  echo "SET GLOBAL super_read_only = OFF;"
  # A sidecar restarted after starting replication but before it recorded
  # success comes back here; the GTID reset needs replication stopped.
{% if version == "5.7" %}
  echo "STOP SLAVE;"
  if [[ $1 == backup ]]; then
    echo "RESET MASTER;"
    if [[ -n $2 ]]; then
      echo "SET GLOBAL gtid_purged = $(sql_string "$2");"
    fi
  fi
  echo "CHANGE MASTER TO MASTER_HOST = $primary, MASTER_PORT = $MYSQL_PORT," \
    "MASTER_USER = '$REPLICATION_USER', MASTER_PASSWORD = $password," \
    "MASTER_AUTO_POSITION = 1, MASTER_CONNECT_RETRY = 10;"
  echo "START SLAVE;"
{% else %}
  echo "STOP REPLICA;"
  if [[ $1 == backup ]]; then
{% if version == "8.0" %}
    echo "RESET MASTER;"
{% else %}
    echo "RESET BINARY LOGS AND GTIDS;"
{% endif %}
    if [[ -n $2 ]]; then
      echo "SET GLOBAL gtid_purged = $(sql_string "$2");"
    fi
  fi
  # GET_SOURCE_PUBLIC_KEY: caching_sha2_password over a connection without TLS.
  echo "CHANGE REPLICATION SOURCE TO SOURCE_HOST = $primary," \
    "SOURCE_PORT = $MYSQL_PORT, SOURCE_USER = '$REPLICATION_USER'," \
    "SOURCE_PASSWORD = $password, SOURCE_AUTO_POSITION = 1," \
    "SOURCE_CONNECT_RETRY = 10, GET_SOURCE_PUBLIC_KEY = 1;"
  echo "START REPLICA;"
{% endif %}
  echo "SET GLOBAL super_read_only = ON;"
}

# Streams a backup of this server to stdout, for the next pod's seed.
backup_command() {
  echo "xtrabackup --defaults-file=$CONF_DIR/my.cnf --backup --stream=xbstream" \
    "--target-dir=$TMP_DIR"
}
{% if clone %}

# Seeds an empty data directory with CLONE INSTANCE from the pod before this one:
# a throwaway local server receives the clone into the staging directory.
seed_by_clone() {
  local ordinal=$1 peer recipient=$DATA_DIR/.stsgen-recipient rundir attempt
  local donor password
  peer=$(peer_host "$((ordinal - 1))")
  donor=$(sql_string "$peer:$MYSQL_PORT")
  password=$(sql_string "${REPLICATION_PASSWORD:-}")
  rm -rf -- "$STAGING_DIR" "$recipient"
  initialize_datadir "$recipient"
  rundir=$(mktemp -d "$TMP_DIR/clone.XXXXXX")
  LOCAL_SOCKET=$rundir/mysqld.sock
  LOCAL_SERVER_OPTIONS+=(--super-read-only=OFF --read-only=OFF)
  start_local_server "$recipient" "$rundir"
  for ((attempt = 1; ; attempt++)); do
    log "cloning from $peer:$MYSQL_PORT"
    if local_client <<SQL; then
SET GLOBAL clone_valid_donor_list = $donor;
CLONE INSTANCE FROM '$REPLICATION_USER'@'$peer':$MYSQL_PORT IDENTIFIED BY $password
  DATA DIRECTORY = '$STAGING_DIR';
SQL
      break
    fi
    rm -rf -- "$STAGING_DIR"
    if ((attempt >= ${SEED_ATTEMPTS:-150})); then
      log "no clone from $peer after $attempt attempts"
      return 1
    fi
    sleep "${SEED_RETRY_SECONDS:-2}"
  done
  stop_local_server
  rm -rf -- "$recipient" "$rundir" "$STAGING_DIR/auto.cnf"
  # CLONE copies InnoDB tablespaces only: the mysql/ folder (its CSV log tables)
  # is made by the first server start, and publish_staging moves it in last.
  mkdir -p -- "$STAGING_DIR/mysql"
  echo clone >"$STAGING_DIR/$SEED_MARKER"
  publish_staging "$STAGING_DIR"
  log "cloned from $peer"
}
{% endif %}

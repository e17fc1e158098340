{#- The MariaDB flavour's commands and SQL for the shared functions in common.sh:
    mariadbd, mariadb, mariadb-backup/mbstream and GTID replication through
    gtid_slave_pos (MariaDB has no CLONE plugin and no super_read_only). #}
# --- MariaDB {{ values.mariadb.version }}: commands and SQL ---
SERVER_BIN=mariadbd
CLIENT_BIN=mariadb
STREAM_BIN=mbstream
BACKUP_GROUP=mariadb-backup
REPLICATION_GRANTS="REPLICATION SLAVE"
REPLICATION_HOLD=skip-slave-start=ON
LOCAL_SERVER_OPTIONS=()

# Creates a new data directory in $1; root@localhost and the account of the user
# the server runs as log in through the socket only.
initialize_datadir() {
  mariadb-install-db --defaults-file="$CONF_DIR/my.cnf" --datadir="$1" \
    --user="$(os_user)" --auth-root-authentication-method=socket \
    --skip-test-db >/dev/null
}

# A client of the local setup server, as the socket-authenticated account of the
# user running this script (root@localhost only accepts the OS user root).
local_client() {
  mariadb --no-defaults --socket="$LOCAL_SOCKET" --user="$(os_user)" "$@"
}

# root@localhost keeps socket authentication; root over TCP uses the password.
root_account_sql() {
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
  mariadb-backup --defaults-file="$1/backup-my.cnf" --prepare --target-dir="$1"
}

# The SQL that makes this server replicate from the primary, from the GTID
# position $2 of the backup it was seeded with ($1 is always "backup" here).
# read_only does not stop root: ALL PRIVILEGES includes READ_ONLY ADMIN.
replication_sql() {
  local password primary
  password=$(sql_string "${REPLICATION_PASSWORD:-}")
  primary=$(sql_string "$(peer_host 0)")
  # A sidecar restarted after START SLAVE but before it recorded success comes
  # back here; gtid_slave_pos cannot change while replication runs.
  echo "STOP SLAVE;"
  echo "SET GLOBAL gtid_slave_pos = $(sql_string "$2");"
  echo "CHANGE MASTER TO MASTER_HOST = $primary, MASTER_PORT = $MYSQL_PORT," \
    "MASTER_USER = '$REPLICATION_USER', MASTER_PASSWORD = $password," \
    "MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 10;"
  echo "START SLAVE;"
}

# Streams a backup of this server to stdout, for the next pod's seed.
backup_command() {
  echo "mariadb-backup --defaults-file=$CONF_DIR/my.cnf --backup --stream=xbstream" \
    "--target-dir=$TMP_DIR"
}

{#- The sidecar: starts replication once from the position the seed recorded, then
    serves backup streams to the next pod (or, with clone seeding, just stays). #}
#!/bin/bash
# sidecar: start replication once from the seeded position, then serve seeds.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

# Configures replication if a seed left its position, once: the marker is renamed
# when the server has taken the configuration, which survives restarts.
start_replication_once() {
  local marker=$DATA_DIR/$SEED_MARKER method gtid=""
  if [[ ! -f $marker ]]; then
    return 0
  fi
  read -r method gtid <"$marker" || true
  check_gtid_position "$gtid"
  log "waiting for the server to start replication ($method seed)"
  wait_for_server
  replication_sql "$method" "$gtid" | "$CLIENT_BIN" --defaults-file="$CONF_DIR/my.cnf"
  # Known limit: a sidecar killed between the SQL and this rename redoes the setup
  # on its next start; the two steps cannot be made one.
  release_replication_hold
  mv -- "$marker" "$marker.applied"
  log "replication from $(peer_host 0) started"
}

main() {
  start_replication_once
{% if values.flavor == "mysql" and values.replication.seed == "clone" %}
  # The server itself is the clone donor; nothing else to serve. As PID 1, a
  # plain `sleep` would ignore SIGTERM and hold every pod deletion for the whole
  # grace period. The trap reads $! itself: bash sets it as it forks, so a signal
  # just after the fork still finds the sleep.
  trap 'kill "$!" 2>/dev/null || true; exit 0' TERM INT
  sleep infinity &
  wait "$!"
{% else %}
  log "serving backups on port $SEED_PORT"
  # -U: data flows from the backup command to the peer, never the other way.
  exec socat -U "TCP-LISTEN:$SEED_PORT,reuseaddr,fork" "EXEC:$(backup_command)"
{% endif %}
}

main "$@"

{#- Init container 2: fills a replica's empty data directory from the pod before
    it; skips the primary and any pod whose data directory is complete. #}
#!/bin/bash
# seed-data: copy an empty replica's data from the pod with the ordinal before it.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

main() {
  local ordinal
  ordinal=$(pod_ordinal)
  if data_complete; then
    log "data directory already complete, nothing to seed"
    if [[ -f $DATA_DIR/$SEED_MARKER ]]; then
      # Seeded, but the sidecar has not started replication yet.
      hold_replication
    fi
    return 0
  fi
  if ((ordinal == 0)); then
    log "the primary is not seeded"
    return 0
  fi
{% if values.replication.seed == "clone" %}
  seed_by_clone "$ordinal"
{% else %}
  seed_from_backup "$ordinal"
{% endif %}
  hold_replication
}

main "$@"

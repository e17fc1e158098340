{#- Init container 1: writes this pod's my.cnf (server-id from the ordinal, primary
    or replica settings, client login) and bootstraps the primary's empty data
    directory with the Secret's accounts. #}
#!/bin/bash
# init-config: server-id and role from the pod ordinal; bootstrap of an empty primary.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

main() {
  local ordinal
  ordinal=$(pod_ordinal)
  write_config "$ordinal"
  if ((ordinal == 0)) && ! data_complete; then
    bootstrap_primary
  fi
}

main "$@"

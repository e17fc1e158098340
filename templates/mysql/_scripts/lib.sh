{#- The library each container script sources from its own folder: the flavour's
    commands and SQL (_scripts/mysql.sh or _scripts/mariadb.sh), then the shared
    functions (_scripts/common.sh). Rendered once, into the scripts ConfigMap. #}
# shellcheck shell=bash
# lib.sh: functions shared by init-config.sh, seed-data.sh and sidecar.sh.
{% include "./" ~ values.flavor ~ ".sh" %}

{% include "./common.sh" %}

"""Write a deterministic mixed manifest stream for benchmarking `stsgen validate`.

Every object is valid for Kubernetes 1.34-1.37: StatefulSets with their Services,
ConfigMaps and PersistentVolumeClaims, a few CRDs and custom resources of them.
Usage: python benchmarks/generate_stream.py OUT.yaml [DOCUMENTS]
"""

from __future__ import annotations

import sys
from pathlib import Path

CRD_GROUP = "bench.stsgen.io"
CRD_KINDS = ("Backup", "Restore", "Schedule", "Tenant", "Replica")


def render_crd(kind: str) -> str:
    plural = kind.lower() + "s"
    return f"""apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.{CRD_GROUP}
spec:
  group: {CRD_GROUP}
  names:
    kind: {kind}
    listKind: {kind}List
    plural: {plural}
    singular: {kind.lower()}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [target]
            properties:
              target:
                type: string
                pattern: '^[a-z0-9-]+$'
              retention:
                x-kubernetes-int-or-string: true
              copies:
                type: integer
                minimum: 1
                maximum: 10
              storage:
                type: object
                properties:
                  size:
                    type: string
                  class:
                    type: string
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
"""


def render_statefulset(n: int) -> str:
    return f"""apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db-{n}
  namespace: bench
  labels:
    app.kubernetes.io/name: db-{n}
spec:
  serviceName: db-{n}
  replicas: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: db-{n}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: db-{n}
    spec:
      terminationGracePeriodSeconds: 30
      containers:
      - name: db
        image: registry.example.com/db:1.{n % 10}
        ports:
        - name: db
          containerPort: 5432
        env:
        - name: PGDATA
          value: /var/lib/db/data
        resources:
          requests:
            cpu: 500m
            memory: 1Gi
          limits:
            memory: 2Gi
        readinessProbe:
          tcpSocket:
            port: db
          periodSeconds: 5
        volumeMounts:
        - name: data
          mountPath: /var/lib/db
        - name: config
          mountPath: /etc/db
      volumes:
      - name: config
        configMap:
          name: db-{n}
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 10Gi
"""


def render_service(n: int, headless: bool) -> str:
    name = f"db-{n}" if headless else f"db-{n}-read"
    cluster_ip = "\n  clusterIP: None" if headless else ""
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: bench
spec:{cluster_ip}
  selector:
    app.kubernetes.io/name: db-{n}
  ports:
  - name: db
    port: 5432
    targetPort: db
"""


def render_configmap(n: int) -> str:
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: db-{n}
  namespace: bench
data:
  db.conf: |
    max_connections = {100 + n % 50}
    shared_buffers = 128MB
  replica.conf: |
    hot_standby = on
"""


def render_pvc(n: int) -> str:
    return f"""apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: backup-{n}
  namespace: bench
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: {1 + n % 20}Gi
"""


def render_custom(n: int) -> str:
    kind = CRD_KINDS[n % len(CRD_KINDS)]
    return f"""apiVersion: {CRD_GROUP}/v1
kind: {kind}
metadata:
  name: {kind.lower()}-{n}
  namespace: bench
spec:
  target: db-{n}
  retention: {"7d" if n % 2 else 7}
  copies: {1 + n % 3}
  storage:
    size: 5Gi
    class: standard
"""


def build_stream(documents: int) -> str:
    """Return ``documents`` YAML documents: CRDs first, then groups of seven."""
    parts = [render_crd(kind) for kind in CRD_KINDS]
    n = 0
    while len(parts) < documents:
        parts.extend(
            [
                render_configmap(n),
                render_service(n, headless=True),
                render_service(n, headless=False),
                render_statefulset(n),
                render_pvc(n),
                render_custom(n),
                render_custom(n + 100_000),
            ]
        )
        n += 1
    return "".join("---\n" + part for part in parts[:documents])


def main() -> None:
    out = Path(sys.argv[1])
    documents = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    out.write_text(build_stream(documents), encoding="utf-8")


if __name__ == "__main__":
    main()

"""stsgen: render and validate Kubernetes manifests for stateful workloads."""

__version__ = "0.1.0"

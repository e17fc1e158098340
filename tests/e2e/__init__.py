"""End-to-end tests: rendered blueprints run on real servers in Linux namespaces."""

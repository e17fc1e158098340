"""The render path: blueprint -> values -> Jinja2 -> parsed documents -> output."""

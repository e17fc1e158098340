"""Wheel build step: ship the bundled templates compiled.

Compiling the templates is most of a first render's own time. The wheel carries
them as Python modules in ``stsgen/_data/compiled/jinja-<version>``, which pip
byte-compiles on install; stsgen uses them only under that Jinja2 version and
compiles the template files otherwise. Editable installs get none, since their
templates change as they are edited.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompiledTemplatesHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        import jinja2

        jinja_version = getattr(jinja2, "__version__", None)
        if jinja_version is None:
            return  # no version to key the modules by: render compiles as usual
        sys.path.insert(0, str(Path(self.root, "src")))
        try:
            from stsgen.rendering.engine import compile_templates
        finally:
            sys.path.pop(0)

        self._target = Path(tempfile.mkdtemp(prefix="stsgen-compiled-"))
        compile_templates(Path(self.root, "templates"), self._target)
        build_data["force_include"][str(self._target)] = (
            f"stsgen/_data/compiled/jinja-{jinja_version}"
        )

    def finalize(
        self, version: str, build_data: dict[str, Any], artifact_path: str
    ) -> None:
        target = getattr(self, "_target", None)
        if target is not None:
            shutil.rmtree(target, ignore_errors=True)

"""The README's set-up commands are the ones CI runs."""

from __future__ import annotations

import re

from tests.acceptance.helpers import REPO


def _setup_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", readme, re.DOTALL)
    assert block, "README has no set-up block"
    return block.group(1).strip().splitlines()


def test_readme_opens_with_two_setup_commands() -> None:
    commands = _setup_commands()

    assert len(commands) == 2
    assert "pip install ." in commands[0] and "stsgen render" in commands[0]
    assert "'.[test]'" in commands[1] and "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")

    assert _setup_commands()[1] in ci.replace("pip install -q", "pip install")

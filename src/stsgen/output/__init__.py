"""Reporters: one per output format of `stsgen validate`, chosen by name.

A *reporter* is told about each object in input order, then about the summary once;
text and github write as they go, json, junit and sarif collect and write at the end.
"""

from __future__ import annotations

import codecs
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TextIO

from stsgen.validation.findings import ObjectResult, Summary


class Reporter(ABC):
    """Writes the results of one validation run to ``stream`` in one format."""

    def __init__(
        self,
        stream: TextIO,
        *,
        verbosity: int = 0,
        color: bool = False,
        rule_descriptions: Mapping[str, str] | None = None,
    ) -> None:
        self.stream = stream
        self.verbosity = verbosity
        self.color = color
        self.rule_descriptions = dict(rule_descriptions or {})
        encoding = getattr(stream, "encoding", None) or "utf-8"
        self._encoding = None if codecs.lookup(encoding).name == "utf-8" else encoding

    @abstractmethod
    def report(self, result: ObjectResult) -> None:
        """Record one object (or one unreadable file), in input order."""

    @abstractmethod
    def finish(self, summary: Summary) -> None:
        """Write whatever is still held back, then the summary."""

    def write(self, text: str) -> None:
        """Write to the stream; what its encoding cannot carry becomes an escape."""
        if self._encoding and not text.isascii():
            text = text.encode(self._encoding, "backslashreplace").decode(
                self._encoding
            )
        self.stream.write(text)


# The formats import Reporter from this package, so they come after its definition.
from stsgen.output.github import GithubReporter
from stsgen.output.json_ import JsonReporter
from stsgen.output.junit import JunitReporter
from stsgen.output.sarif import SarifReporter
from stsgen.output.text import TextReporter

REPORTER_BY_NAME: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "junit": JunitReporter,
    "sarif": SarifReporter,
    "github": GithubReporter,
}

__all__ = ["REPORTER_BY_NAME", "Reporter"]

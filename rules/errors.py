"""The one error type of the knowledge base: what is wrong, and where."""

from __future__ import annotations


class KnowledgeError(Exception):
    """A knowledge-base file breaks a rule; `where` names the file and key."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message

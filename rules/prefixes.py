"""The letters a regex's match must begin with, so that a long text is scanned only where one stands.

A vocabulary pattern ("\\bsquats?\\b", "(?<!from )\\bcramp\\w*") is tried at every position by
`search`; over a 20,000-character note 300 patterns cost tens of milliseconds. Most begin, after
any lookbehind, with a word boundary and a few literal letters: reading those once at load lets a
reader try a pattern only in the clauses holding a word that starts so. What cannot be proved
(a pattern starting with `\\w`, `.`, a class of many letters) gives None: try it everywhere.
"""

from __future__ import annotations

import re
import re._constants as c
import re._parser as parser
from typing import Any

_MOST = 3  # letters kept: enough to be selective, few enough that alternations stay small
_MANY = 12  # more alternatives than this and the prefilter no longer pays


def word_prefixes(pattern: str) -> frozenset[str] | None:
    """The lowercase prefixes (1-3 letters or digits) of the word every match starts at, or None if unknown.

    Only for patterns whose match must start at a word boundary: the prefix is then the start of a word.
    """
    try:
        parsed = parser.parse(pattern)
    except re.error:
        return None
    items = list(parsed)
    at = 0
    bounded = False
    while at < len(items) and items[at][0] in (c.AT, c.ASSERT, c.ASSERT_NOT):
        op, arg = items[at]
        bounded = bounded or (op is c.AT and arg is c.AT_BOUNDARY)
        at += 1
    if not bounded:
        return None
    found, _ = _prefixes(items[at:])
    if not found or "" in found or len(found) > _MANY:
        return None
    return frozenset(found)


def _prefixes(items: list[tuple[Any, Any]]) -> tuple[set[str], bool]:
    """(prefixes, complete): complete when every prefix covers the whole sequence."""
    out = {""}
    for op, arg in items:
        if all(len(p) >= _MOST for p in out):
            return {p[:_MOST] for p in out}, False
        if op is c.LITERAL and chr(arg).isalnum():
            out = {p + chr(arg) for p in out}
            continue
        if op is c.SUBPATTERN:
            alternatives = [list(arg[-1])]
        elif op is c.BRANCH:
            alternatives = [list(branch) for branch in arg[1]]
        elif op is c.IN and all(o is c.LITERAL and chr(a).isalnum() for o, a in arg) and len(arg) <= _MANY:
            alternatives = [[(c.LITERAL, a)] for _, a in arg]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and arg[0] >= 1:
            inner, _ = _prefixes(list(arg[2]))
            return {p + q for p in out for q in inner}, False
        else:
            return out, False
        merged: set[str] = set()
        whole = True
        for alternative in alternatives:
            inner, complete = _prefixes(alternative)
            whole = whole and complete
            merged.update(p + q for p in out for q in inner)
            if len(merged) > _MANY * 4:
                return out, False
        out = merged
        if not whole:
            return {p[:_MOST] for p in out}, False
    return {p[:_MOST] for p in out}, True

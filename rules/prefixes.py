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
    A prefix ending in a space is a whole word of one or two letters ("r " is the word "r").
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
    if not found or "" in found or len(found) > _MANY * 4:
        return None
    return frozenset(found)


def _prefixes(items: list[tuple[Any, Any]]) -> tuple[set[str], bool]:
    """(prefixes, complete): complete when every prefix covers the whole sequence."""
    growing = {""}  # prefixes that the items read so far cover entirely
    done: set[str] = set()  # prefixes that stop short of them (a repeat, a long alternative, a class)
    for index, (op, arg) in enumerate(items):
        done.update(p[:_MOST] for p in growing if len(p) >= _MOST)
        growing = {p for p in growing if len(p) < _MOST}
        if not growing:
            return done, False
        if _ends_word(op, arg) and "" not in growing:
            # "\b(?:l|r)\s+calf": the word is "l" or "r" itself, marked by a trailing space
            return done | {p + " " for p in growing}, False
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue  # zero width
        letters = _letters(op, arg)
        if letters is not None and len(letters) == 1:
            growing = {p + letters[0] for p in growing}
            continue
        if op is c.SUBPATTERN:
            alternatives = [list(arg[-1])]
        elif op is c.BRANCH:
            alternatives = [list(branch) for branch in arg[1]]
        elif letters is not None:
            alternatives = [[(c.LITERAL, ord(letter))] for letter in letters]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and arg[0] >= 1:
            inner, _ = _prefixes(list(arg[2]))
            return done | {(p + q)[:_MOST] for p in growing for q in inner}, False
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            # Optional: the match starts with the repeated part or with what follows it.
            rest = items[index + 1 :]
            skipped, whole = _prefixes(rest)
            taken, taken_whole = _prefixes(list(arg[2]) + rest) if arg[1] == 1 else (_prefixes(list(arg[2]))[0], False)
            ends = {(p + q)[:_MOST] for p in growing for q in skipped | taken}
            return done | ends, whole and taken_whole and not done
        else:
            return done | growing, False
        grown: set[str] = set()
        for alternative in alternatives:
            inner, complete = _prefixes(alternative)
            joined = {(p + q) for p in growing for q in inner}
            if complete:
                grown.update(joined)
            else:
                done.update(q[:_MOST] for q in joined)
        if len(grown) + len(done) > _MANY * 4:
            return done | {p[:_MOST] for p in growing}, False
        growing = grown
    return done | {p[:_MOST] for p in growing}, not done


def _letters(op: Any, arg: Any) -> list[str] | None:
    """The letters or digits one item matches, when it is a letter, a digit or a small class of them."""
    if op is c.LITERAL:
        return [chr(arg)] if chr(arg).isalnum() else None
    if op is not c.IN:
        return None
    out: list[str] = []
    for kind, value in arg:
        if kind is c.LITERAL:
            out.append(chr(value))
        elif kind is c.RANGE:
            out.extend(chr(code) for code in range(value[0], value[1] + 1))
        elif kind is c.CATEGORY and value is c.CATEGORY_DIGIT:
            out.extend("0123456789")
        else:
            return None
        if len(out) > _MANY:
            return None
    return out if out and all(letter.isalnum() for letter in out) else None


def _ends_word(op: Any, arg: Any) -> bool:
    """True for a word boundary, a space, or one or more spaces: the letters before it end a word."""
    if op is c.AT:
        return arg is c.AT_BOUNDARY
    if op is c.LITERAL:
        return chr(arg) == " "
    if op is c.IN:
        return any(o is c.CATEGORY and a is c.CATEGORY_SPACE for o, a in arg) or (
            len(arg) == 1 and arg[0][0] is c.LITERAL and chr(arg[0][1]) == " "
        )
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) and arg[0] >= 1:
        body = list(arg[2])
        return len(body) == 1 and _ends_word(*body[0])
    return False


def required_words(pattern: str) -> tuple[frozenset[str], ...]:
    """Letter runs a match must contain: each group holds alternatives, one of which must appear.

    "\\b(?:a|one)\\s+bottles?\\s+of\\s+(?:wine|gin)" needs "bottle" and one of "wine", "gin": a text holding
    neither cannot match, and the pattern is not tried there. Runs under three letters are not kept. A run
    that must begin a word is written with a leading space (" bottle"): a word list can answer for it.
    """
    if "(?i" in pattern:
        return ()
    try:
        return tuple(_required(list(parser.parse(pattern)), False))
    except re.error:
        return ()


def _required(items: list[tuple[Any, Any]], word_start: bool) -> list[frozenset[str]]:
    groups: list[frozenset[str]] = []
    run, initial = "", False
    for op, arg in items:
        if op is c.LITERAL and chr(arg).isalnum():
            if not run:
                initial = word_start
            run += chr(arg)
            word_start = False
            continue
        if len(run) >= _MOST:
            groups.append(frozenset([" " * initial + run]))
        run = ""
        if op is c.SUBPATTERN:
            groups += _required(list(arg[-1]), word_start)
        elif op is c.BRANCH:
            alternatives = [_one_word(list(branch), word_start) for branch in arg[1]]
            if all(alternatives):
                groups.append(frozenset(a for a in alternatives if a))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and arg[0] >= 1:
            groups += _required(list(arg[2]), word_start)
        if op in (c.ASSERT, c.ASSERT_NOT):
            continue  # zero width: the next letters stand where they would without it
        word_start = _ends_word(op, arg)
    if len(run) >= _MOST:
        groups.append(frozenset([" " * initial + run]))
    return groups


def _one_word(items: list[tuple[Any, Any]], word_start: bool) -> str | None:
    """The longest run one alternative of a branch must contain, None when it need contain none."""
    singles = [next(iter(group)) for group in _required(items, word_start) if len(group) == 1]
    return max(singles, key=lambda run: len(run.strip())) if singles else None

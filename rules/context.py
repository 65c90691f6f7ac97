"""ConText: whether a mention in a note is negated, historical or hypothetical, and whose it is.

Harkema et al. 2009 (ConText) after Chapman et al. 2001 (NegEx): each cue of the lexicon
(rules/data/context.yaml) opens a scope in its direction that runs to the end of the sentence, to
a semicolon, or to the first cue that terminates its category; pseudo-cues ("no increase") cancel
the cues inside them.  A sentence's cues are found once, in one pass of one precompiled pattern,
and a mention looks its scopes up by bisection, so a note costs time linear in its length.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import KnowledgeError
from .sentences import Sentence, Splitter

__all__ = ["Context", "Modifiers", "Sentence", "build"]

# What a cue can make a mention; "current" says it is so now ("now on apixaban"), over a section's past.
CATEGORIES = ("negated", "historical", "hypothetical", "current", "other")
# Scopes are kept per category, with hypothetical cues that ask about the present apart.
_SCOPED = (*CATEGORIES, "asked")
KINDS = (*CATEGORIES, "pseudo", "terminate")
DIRECTIONS = ("forward", "backward", "bidirectional")
_LOOK = 4  # scopes of one category looked at around a mention (cues with a word limit can nest)
_WORD = re.compile(r"\w+")
_BRACKET = re.compile(r"[()\[\]{}]")
_Found = tuple[int, int, tuple["Cue", ...], int, int]  # a cue's span, its entries, the span its scope may cover


@dataclass(frozen=True, slots=True)
class Modifiers:
    """What the text around a mention says of it; `cue` is the words that decided, if any."""

    negated: bool
    temporality: str  # recent, historical or hypothetical
    experiencer: str  # patient or other
    cue: str | None
    asked: bool = False  # hypothetical because asked about now ("rule out DVT", "?DVT"), not foretold


@dataclass(frozen=True, slots=True)
class Cue:
    """One entry of the lexicon: what it makes a mention, and which way its scope runs."""

    kind: str  # one of KINDS, or "asked": a hypothetical cue that asks about the present
    direction: str | None  # one of DIRECTIONS, or None for pseudo and terminate
    max_words: int | None
    ends: frozenset[str]  # for terminate: the categories whose scopes it ends


@dataclass(frozen=True, slots=True)
class _Scopes:
    """One category's scopes in a sentence: forward ones by start, backward ones by end."""

    forward_starts: tuple[int, ...]
    forward_ends: tuple[int, ...]
    forward_cues: tuple[tuple[int, int], ...]
    backward_starts: tuple[int, ...]
    backward_ends: tuple[int, ...]
    backward_cues: tuple[tuple[int, int], ...]

    def nearest(self, start: int, end: int) -> tuple[int, tuple[int, int]] | None:
        """(distance, cue span) of the nearest cue whose scope holds [start, end), if any."""
        best: tuple[int, tuple[int, int]] | None = None
        i = bisect_right(self.forward_starts, start) - 1
        for k in range(i, max(-1, i - _LOOK), -1):
            if self.forward_ends[k] > start:
                best = (start - self.forward_cues[k][1], self.forward_cues[k])
                break
        j = bisect_left(self.backward_ends, end)
        for k in range(j, min(len(self.backward_ends), j + _LOOK)):
            if self.backward_starts[k] <= start:
                distance = self.backward_cues[k][0] - end
                if best is None or distance < best[0]:
                    best = (distance, self.backward_cues[k])
                break
        return best


class Context:
    """The cue lexicon compiled: `split` a note into sentences, read a mention's `modifiers`."""

    def __init__(
        self,
        cues: Mapping[str, Sequence[Cue]],
        patterns: Sequence[tuple[str, Sequence[Cue]]],
        splitter: Splitter,
        implies: Mapping[str, Mapping[str, str]],
    ) -> None:
        self._literals = {" ".join(words.lower().split()): tuple(entries) for words, entries in cues.items()}
        self._pattern_cues = [tuple(entries) for _, entries in patterns]
        # Patterns that open on a word boundary are tried only where a word starts, and the literals
        # as one trie: the cost per character stays a few steps however long the lexicon grows.
        words = [f"(?P<p{i}>{p[2:]})" for i, (p, _) in enumerate(patterns) if p.startswith(r"\b")]
        others = [f"(?P<p{i}>{p})" for i, (p, _) in enumerate(patterns) if not p.startswith(r"\b")]
        literals = f"(?P<lit>{_trie(self._literals)}(?!\\w))"
        at_word = f"(?<!\\w)(?=\\w)(?:{'|'.join([*words, literals])})"
        self._pattern = re.compile("|".join([at_word, *others]), re.IGNORECASE)
        self._splitter = splitter
        self._implies = implies

    def split(self, text: str) -> tuple[Sentence, ...]:
        """The note's sentences with their sections (see rules/sentences.py)."""
        return self._splitter.split(text)

    def modifiers(
        self,
        text: str,
        sentence: Sentence,
        start: int,
        end: int,
        read: dict[Sentence, dict[str, _Scopes]] | None = None,
    ) -> Modifiers:
        """Negation, temporality and experiencer of the mention text[start:end] in `sentence`.

        `read`: the caller's own memo of the sentences of this text already read, so that a sentence with
        several mentions is read once. It lives as long as the caller's call: nothing here keeps a note.
        """
        scopes = read.get(sentence) if read is not None else None
        if scopes is None:
            scopes = self._scopes(text, sentence)
            if read is not None:
                read[sentence] = scopes
        decided = {c: (scopes[c].nearest(start, end) if c in scopes else None) for c in _SCOPED}
        negation, other = decided["negated"], decided["other"]
        historical, hypothetical, asked = decided["historical"], decided["hypothetical"], decided["asked"]
        if asked is not None and (hypothetical is None or asked[0] < hypothetical[0]):
            hypothetical = asked
        else:
            asked = None
        # The nearest cue of time decides; a tie goes to the past, then to the hypothetical.
        timed = [(c[0], i, kind, c) for i, (kind, c) in enumerate(
            (("historical", historical), ("hypothetical", hypothetical), ("recent", decided["current"]))
        ) if c is not None]  # fmt: skip
        temporality, when = "recent", None
        if timed:
            _, _, temporality, when = min(timed)
        implied = self._implies.get(sentence.section or "", {})
        if when is None and "temporality" in implied:
            temporality = implied["temporality"]
        experiencer = "other" if other is not None or implied.get("experiencer") == "other" else "patient"
        decider = next((c for c in (negation, when, other) if c is not None), None)
        if decider is not None:
            cue: str | None = text[decider[1][0] : decider[1][1]].strip(" \t\n:=-–—")
        elif temporality != "recent" or experiencer != "patient":
            cue = f"{sentence.section} section"
        else:
            cue = None
        return Modifiers(
            negation is not None, temporality, experiencer, cue, temporality == "hypothetical" and asked is not None
        )

    def _scopes(self, text: str, sentence: Sentence) -> dict[str, _Scopes]:
        """The scopes of each category that has a cue in the sentence, from one pass of the cue pattern."""
        base, limit = sentence.start, sentence.end
        segment = text[base:limit]
        found: list[tuple[int, int, tuple[Cue, ...]]] = []
        literals, pattern_cues = self._literals, self._pattern_cues
        for match in self._pattern.finditer(segment):
            group = match.lastgroup
            if group == "lit":
                entries = literals[" ".join(match.group().lower().split())]
            else:
                entries = pattern_cues[int(group[1:])]  # type: ignore[index]
            found.append((base + match.start(), base + match.end(), entries))
        if not found:
            return {}
        stops: dict[str, list[tuple[int, int]]] = {c: [] for c in _SCOPED}
        if ";" in segment:
            for m in re.finditer(";", segment):
                for bucket in stops.values():
                    bucket.append((base + m.start(), base + m.end()))
        cues: dict[str, list[tuple[Cue, int, int, int, int]]] = {}
        for start, end, entries, lo, hi in _bounds(text, base, limit, found):
            for cue in entries:
                if cue.kind == "terminate":
                    for category in cue.ends:
                        stops[category].append((start, end))
                elif cue.kind != "pseudo":
                    cues.setdefault(cue.kind, []).append((cue, start, end, lo, hi))
        words: list[int] = []
        if any(cue.max_words for listed in cues.values() for cue, *_ in listed):
            words = [base + m.start() for m in _WORD.finditer(segment)]
        return {c: _category_scopes(listed, sorted(stops[c]), words) for c, listed in cues.items()}


def _bounds(text: str, base: int, limit: int, found: Sequence[tuple[int, int, tuple[Cue, ...]]]) -> list[_Found]:
    """Each cue with the span its scope may cover: the sentence, or the brackets it stands in."""
    marks = [(m.start(), m.group()) for m in _BRACKET.finditer(text, base, limit)]
    if not marks:
        return [(start, end, entries, base, limit) for start, end, entries in found]
    out: list[_Found] = []
    for start, end, entries in found:
        lo, hi = base, limit
        k = bisect_left(marks, (start, ""))
        if 0 < k < len(marks) and marks[k - 1][1] in "([{" and marks[k][1] in ")]}":
            lo, hi = marks[k - 1][0] + 1, marks[k][0]  # "(slides not submitted) shows lymphoma"
        out.append((start, end, entries, lo, hi))
    return out


def _category_scopes(
    cues: Sequence[tuple[Cue, int, int, int, int]], stops: Sequence[tuple[int, int]], words: Sequence[int]
) -> _Scopes:
    """One category's scopes: each cue's runs to the first stop of its category, or its bounds."""
    stop_starts = [s for s, _ in stops]
    stop_ends = [e for _, e in stops]
    forward: list[tuple[int, int, tuple[int, int]]] = []
    backward: list[tuple[int, int, tuple[int, int]]] = []
    for cue, s, e, base, limit in cues:
        if cue.direction != "backward":  # forward or bidirectional
            k = bisect_left(stop_starts, e)
            scope_end = min(stop_starts[k], limit) if k < len(stop_starts) else limit
            if cue.max_words is not None:
                w = bisect_left(words, e) + cue.max_words
                scope_end = min(scope_end, words[w] if w < len(words) else limit)
            forward.append((e, scope_end, (s, e)))
        if cue.direction != "forward":  # backward or bidirectional
            k = bisect_right(stop_ends, s) - 1
            scope_start = max(stop_ends[k], base) if k >= 0 else base
            if cue.max_words is not None:
                w = bisect_left(words, s) - cue.max_words
                scope_start = max(scope_start, words[w] if w >= 0 else base)
            backward.append((scope_start, s, (s, e)))
    forward.sort()
    backward.sort(key=lambda scope: scope[1])
    return _Scopes(
        tuple(f[0] for f in forward),
        tuple(f[1] for f in forward),
        tuple(f[2] for f in forward),
        tuple(b[0] for b in backward),
        tuple(b[1] for b in backward),
        tuple(b[2] for b in backward),
    )


def _trie(words: Iterable[str]) -> str:
    """One regex for many literals, as a trie, longest first: it matches in one step per character."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_pattern(root) or "(?!)"


def _trie_pattern(node: dict[str, Any]) -> str:
    branches = [
        (r"\s+" if char == " " else re.escape(char)) + _trie_pattern(child)
        for char, child in sorted(node.items())
        if char
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


def build(data: Mapping[str, Any], name: str, references: Iterable[str]) -> Context:
    """The Context of the lexicon file `name` (already checked against its schema)."""
    known = set(references)
    for part in ("sections", "cues"):
        for i, entry in enumerate(data[part]):
            for source in entry["source"]:
                if source not in known:
                    raise KnowledgeError(f"{name}: {part}[{i}].source", f"unknown reference {source!r}")
    literals: dict[str, list[Cue]] = {}
    patterns: dict[str, list[Cue]] = {}
    for i, group in enumerate(data["cues"]):
        kind = group["category"]
        where = f"{name}: cues[{i}]"
        direction = group.get("direction")
        if (kind in CATEGORIES) != (direction is not None):
            raise KnowledgeError(
                f"{where}.direction", f"a {kind} cue {'needs' if kind in CATEGORIES else 'has no'} direction"
            )
        ends = set(group.get("ends") or CATEGORIES)
        if "hypothetical" in ends:
            ends.add("asked")
        if group.get("asks"):
            if kind != "hypothetical":
                raise KnowledgeError(f"{where}.asks", "only a hypothetical cue asks")
            kind = "asked"
        cue = Cue(kind, direction, group.get("max_words"), frozenset(ends))
        for words in group["literals"]:
            literals.setdefault(" ".join(words.lower().split()), []).append(cue)
        for j, pattern in enumerate(group["patterns"]):
            try:
                compiled = re.compile(pattern)
            except re.error as error:
                raise KnowledgeError(
                    f"{where}.patterns[{j}]", f"pattern {pattern!r} does not compile: {error}"
                ) from None
            if compiled.groups:
                raise KnowledgeError(f"{where}.patterns[{j}]", "use non-capturing groups (?:...) only")
            patterns.setdefault(pattern, []).append(cue)
    headings: dict[str, str] = {}
    implies: dict[str, dict[str, str]] = {}
    for i, section in enumerate(data["sections"]):
        for heading in section["headings"]:
            if heading.lower() in headings:
                raise KnowledgeError(f"{name}: sections[{i}].headings", f"{heading!r} already opens another section")
            headings[heading.lower()] = section["kind"]
        implies[section["kind"]] = dict(section.get("implies") or {})
    return Context(literals, list(patterns.items()), Splitter(headings, data["abbreviations"]), implies)

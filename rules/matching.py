"""Find the concepts named in free text, and whether the text negates them.

Text is folded to lowercase, stemmed words; every synonym is found as a whole-word phrase
wherever it starts, so "proximal muscle weakness" names both proximal weakness and
muscle weakness.  Negation follows NegEx (Chapman et al., J Biomed Inform 2001;
34:301-10): a cue such as "no" or "denies" negates what follows it in the same
clause, within a short window; a cue such as "negative" negates what precedes it.

Word order does not decide a match. A phrase "Y X" is also found written "X of (the) (right) Y"
("swelling of the right calf" names "right calf swelling"), and a side ("left", "right",
"bilateral") may stand apart from the phrase it qualifies ("calf swelling on the right",
"right-sided calf swelling"): the variants are read off the text's own structure, never listed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from .prefixes import required_words, word_prefixes

_NON_WORD = re.compile(r"[^a-z0-9]+")
# Where a negation's scope ends: sentence and clause marks, a spaced dash ("not an athlete - did heavy
# squats"), and ConText's termination words (but, however, except, although, though).
_CLAUSES = re.compile(
    r"[.;:!?\n]|\s[-\u2013\u2014]+\s|\bbut\b|\bhowever\b|\bexcept\b|\balthough\b|\bthough\b",
    re.IGNORECASE,
)
# A review-of-systems answer after a colon ("DOE: none", "fever: no") negates what precedes it;
# it becomes a trailing cue before the colon splits the clause.  "ROS: no fever" is left alone.
# "FHx: DVT, MI" is a family-history heading, not the end of a clause.
_FAMILY_HEADING = re.compile(r"\b(family history|family hx|fhx|fh)\s*:", re.IGNORECASE)
_ANSWERED_NO = re.compile(r"\s*:\s*(?:no|none|nil|neg|negative|absent|denied|denies)\s*(?=$|[.;,)\n])", re.IGNORECASE)
_PRE_NEGATION = (
    "no",
    "not",
    "denies",
    "denied",
    "deny",
    "without",
    "negative for",
    "free of",
    "absence of",
    "absent",
    "never",
    "nor",
    "ruled out",
    "rules out",
    "no sign of",
    "no signs of",
    "no evidence of",
    "no history of",
    "non",
)
_POST_NEGATION = (
    "negative",
    "absent",
    "denied",
    "ruled out",
    "not present",
    "excluded",
    "none",
    "does not relieve",
    "doesn t relieve",
    "do not relieve",
    "did not relieve",
    "not relieved",
    "does not help",
    "doesn t help",
    "does not ease",
    "doesn t ease",
    "gives no relief",
)
# Someone else's history (ConText's "experiencer": Harkema H et al., J Biomed Inform 2009;42:839-51):
# a concept after one of these, in the same clause, is not the patient's and is not counted.
_RELATIVES = (
    "mother",
    "father",
    "mum",
    "dad",
    "sister",
    "brother",
    "sibling",
    "daughter",
    "son",
    "grandmother",
    "grandfather",
    "aunt",
    "uncle",
    "cousin",
    "parents",
    "parent",
)
_OTHER_PERSON = (
    "family history",
    "family hx",
    "fhx",
    "fh of",
    "runs in the family",
    *(f"{who} {verb}" for who in _RELATIVES for verb in ("had", "has", "with", "died", "diagnosed")),
)
# A concept only queried ("?DVT", "suspected appendicitis", "r/o DVT") is not asserted (ConText's
# "hypothetical", Harkema 2009): it is not counted either way.
_UNCERTAIN = ("query", "suspected", "suspicion of", "possible", "r o", "rule out", "to exclude", "ddx")
_QUERY = re.compile(r"\?(?=[A-Za-z])")  # "?DVT", not "cramps? no"
_UNCERTAIN_WINDOW = 3
_PRE_WINDOW = 6  # words between a cue and the concept it negates
_POST_WINDOW = 3

# Word order. "X <preposition> [determiner] [side] Y" reads as "[side] Y X"; a side stands before
# the rest of a phrase in every key, so "swollen left calf" is also indexed as "left swollen calf".
_INVERTING = frozenset({"of", "in", "on", "over", "at"})
_DETERMINERS = frozenset({"the", "a", "an", "his", "her", "their", "my", "its"})
# Stems of the words that name a side, folded to one spelling each; "l" and "r" only where the
# grammar leaves no other reading (right after "of the", before the rest of a phrase).
_SIDES = {"left": "left", "lt": "left", "right": "right", "rt": "right", "bilater": "bilater", "both": "bilater"}
_SHORT_SIDES = {"l": "left", "r": "right"}
_SIDE_WORDS = frozenset({"side", "sid"})  # "right-sided", "on the right side"
_INVERTED_MAX = 3  # words on each side of the preposition
# Words a phrase is also found without: a position within a part ("R posterior calf pain" is right calf
# pain) and the adverbs of a running note ("calf still painful and now swollen").
_TRANSPARENT = frozenset(
    {"posterior", "anterior", "medial", "lateral", "inner", "outer", "still", "now", "also", "veri"}
)
_AND = frozenset({"and", "or", "with"})
_SIDE_TAIL = frozenset({"side", "sid", "onli"})  # "swollen, left only", "on the right side"


def normalise(text: str) -> str:
    """Fold text to lowercase words separated by single spaces."""
    return _NON_WORD.sub(" ", text.lower()).strip()


# Snowball (Porter 2) stems let "muscle aching" meet the synonym "muscle ache", and
# "fasciculations" meet "fasciculation", without listing every inflection.
_stemmer = snowballstemmer.stemmer("english")
# PyStemmer keeps the last 10,000 words it stemmed: a note's words would outlive the request.
if hasattr(_stemmer, "maxCacheSize"):
    _stemmer.maxCacheSize = 0


# Irregular plurals the stemmer leaves apart from their singular ("calves" -> "calv").
_IRREGULAR = {"calves": "calf", "feet": "foot", "teeth": "tooth", "swollen": "swell"}


# The vocabulary's own words, stemmed once as the knowledge base loads. A note's other words are
# stemmed afresh on each call and never kept: no cache outlives a request with a patient's words in it.
_VOCABULARY_STEMS: dict[str, str] = {}


def stem(word: str) -> str:
    known = _VOCABULARY_STEMS.get(word)
    return known if known is not None else _stem(word)


def remember_stem(word: str) -> str:
    """Stem a vocabulary word and keep it (called while matchers are built, never on a request's text)."""
    stemmed = _VOCABULARY_STEMS[word] = _stem(word)
    return stemmed


def _stem(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    # "-ness" nouns name symptoms ("weakness", "numbness") whose adjectives name other things
    # ("weak pulses", "numb" dressing): keep them apart, stemming only their plural.
    if word.endswith("ness") or word.endswith("nesses"):
        return word.removesuffix("es") if word.endswith("nesses") else word
    stemmed: str = _stemmer.stemWord(word)  # PyStemmer is untyped
    return stemmed


def stem_phrase(words: Iterable[str]) -> str:
    return " ".join(stem(word) for word in words)


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    negated: bool
    phrase: str


@dataclass(frozen=True, slots=True)
class Span:
    """Where a phrase or pattern names an id: text[start:end], in the caller's own offsets."""

    id: str
    start: int
    end: int
    phrase: str  # the stemmed key, or the pattern's match in normalised words


_WORD = re.compile(r"[A-Za-z0-9]+")  # a word as normalise() keeps it, found with its offsets


class Words:
    """A text's words as normalise() and stem() read them, each with its offsets, grouped in clauses."""

    __slots__ = ("words", "offsets", "clauses", "stems")

    def __init__(self, text: str) -> None:
        self.words: list[str] = []
        self.offsets: list[tuple[int, int]] = []
        self.clauses: list[tuple[int, int]] = []  # word index ranges, [first, last)
        bounds = [m.start() for m in _CLAUSES.finditer(text)] + [len(text)]
        at = 0
        first = 0
        for word in _WORD.finditer(text):
            while word.start() >= bounds[at]:
                at += 1
                if first < len(self.words):
                    self.clauses.append((first, len(self.words)))
                    first = len(self.words)
            self.words.append(word.group(0).lower())
            self.offsets.append(word.span())
        if first < len(self.words):
            self.clauses.append((first, len(self.words)))
        self.stems = [stem(word) for word in self.words]


_CHUNK = 64  # a clause longer than this many words is read in overlapping windows: phrases are short
_OVERLAP = 16  # more than any phrase with its word-order variant spans
_APART = " | "  # between clauses in the text patterns run over: no pattern's letters or spaces cross it


class Matcher:
    """A compiled index from phrases (and optional regexes) to ids."""

    def __init__(self, phrases: Mapping[str, Iterable[str]], patterns: Iterable[tuple[str, str]] = ()) -> None:
        self._ids: dict[str, tuple[str, ...]] = {}
        for phrase, ids in phrases.items():
            stems = [remember_stem(word) for word in normalise(phrase).split()]
            for key in {" ".join(stems), _side_first(stems)}:
                if key:
                    merged = dict.fromkeys(self._ids.get(key, ()) + tuple(ids))
                    self._ids[key] = tuple(merged)
        self._longest = max((key.count(" ") + 1 for key in self._ids), default=0)
        # The leading words of every phrase, and every phrase's last word: most words start or end none,
        # and a reading goes on only while it can still become a phrase.
        self._leads: set[str] = set()
        self._lasts: set[str] = set()
        for key in self._ids:
            words = key.split(" ")
            self._leads.update(" ".join(words[:size]) for size in range(1, len(words)))
            self._lasts.add(words[-1])
        self._patterns = tuple((re.compile(p), concept) for p, concept in patterns)
        # A pattern whose match must start a word with known letters is tried only where such a word stands.
        self._unprefixed: list[int] = []
        self._by_prefix: dict[str, list[int]] = {}
        # The letters each pattern's match must contain: a long text without them is not scanned for it.
        self._required = [required_words(p) for p, _ in patterns]
        self._by_start: dict[str, tuple[int, ...]] = {}  # first letters -> the patterns that can start there
        self._anchored: list[int] = []  # "^(?!.*tender).*brush": a clause's whole text, read clause by clause
        for index, (p, _) in enumerate(patterns):
            prefixes = word_prefixes(p)
            if "^" in p.replace("[^", "") or "$" in p:
                self._anchored.append(index)
            if prefixes is None:
                self._unprefixed.append(index)
            for prefix in prefixes or ():
                self._by_prefix.setdefault(prefix, []).append(index)
        # The same displays recur across requests ("Muscle cramp", "atorvastatin 20 MG Oral
        # Tablet"); matching is pure, so its answers can be kept.
        self.find = lru_cache(maxsize=8192)(self._find)  # type: ignore[method-assign, unused-ignore]
        self.exact = lru_cache(maxsize=8192)(self._exact)  # type: ignore[method-assign, unused-ignore]

    def _exact(self, text: str) -> tuple[str, ...]:
        """Return the ids whose phrase is the whole text."""
        return self._ids.get(stem_phrase(normalise(text).split()), ())

    def _find(self, text: str) -> tuple[Hit, ...]:
        """Return every id named in the text, in order of first mention."""
        hits: dict[str, Hit] = {}
        text = _FAMILY_HEADING.sub(r"\1 ", _ANSWERED_NO.sub(" negative", _QUERY.sub(" query ", text)))
        for clause in _CLAUSES.split(text):
            words_text = normalise(clause)
            if not words_text:
                continue
            words = words_text.split(" ")
            stems = [stem(word) for word in words]
            spans: list[tuple[int, int, str]] = []
            spans = self._phrases(stems)
            for start, end, phrase in spans:
                if _someone_else(words[:start]) or _uncertain(words[:start]):
                    continue
                negated = _negated(words[:start], words[end:])
                for concept in self._ids[phrase]:
                    _keep(hits, Hit(concept, negated, phrase))
            for index in self._candidates(words) if self._patterns else ():
                regex, concept = self._patterns[index]
                found = regex.search(words_text)
                before = words_text[: found.start()].split() if found else []
                if found and not _someone_else(before) and not _uncertain(before):
                    negated = _negated(before, words_text[found.end() :].split())
                    _keep(hits, Hit(concept, negated, found.group(0)))
        return tuple(hits.values())

    def _starting(self, word: str) -> tuple[int, ...]:
        """The patterns a match of which can start at this word, kept by the word's first three letters
        (the keys depend on no more), so that no whole word of a note is kept after the call."""
        start = word[:3] if len(word) > 2 else word + " "
        known = self._by_start.get(start)
        if known is None:
            found: set[int] = set()
            for key in _prefix_keys(word):
                found.update(self._by_prefix.get(key, ()))
            known = self._by_start[start] = tuple(sorted(found))
        return known

    def _candidates(self, words: list[str]) -> list[int]:
        """The patterns that can match among these words, in their own order."""
        out = set(self._unprefixed)
        for word in words:
            for key in _prefix_keys(word):
                out.update(self._by_prefix.get(key, ()))
        return sorted(out)

    def _phrases(self, stems: list[str]) -> list[tuple[int, int, str]]:
        """Every phrase in a clause's stems as (first word, past the last word, key), word order variants too."""
        spans: list[tuple[int, int, str]] = []
        ids, leads, count = self._ids, self._leads, len(stems)
        for start in range(count):
            # The longest phrase that starts at this word, as a regex alternation would find.
            phrase, end, best = stems[start], start + 1, ""
            while True:
                if phrase in ids:
                    best = phrase
                if end >= count or phrase not in leads:
                    break
                phrase = f"{phrase} {stems[end]}"
                end += 1
            if best:
                spans.append((start, start + best.count(" ") + 1, best))
        spans += self._inverted(stems)
        spans += self._skipping(stems, spans)
        spans += self._sided(stems, spans)
        return spans

    def spans(self, text: str | Words) -> tuple[Span, ...]:
        """Every id the text names, each with its character offsets, in order; negation is the caller's to read.

        For a long text (a clinical note): words keep their offsets through normalising and stemming, each
        clause is read as `find` reads one, and a pattern is tried only at words that can start it. A text
        read by several matchers is split into words once (`Words`).
        """
        read = text if isinstance(text, Words) else Words(text)
        words, offsets, clauses, stems = read.words, read.offsets, read.clauses, read.stems
        found: set[Span] = set()
        for first, last in clauses:
            for low in range(first, last, _CHUNK - _OVERLAP):
                high = min(low + _CHUNK, last)
                for start, end, phrase in self._phrases(stems[low:high]):
                    for concept in self._ids[phrase]:
                        found.add(Span(concept, offsets[low + start][0], offsets[low + end - 1][1], phrase))
                if high == last:
                    break
        if self._patterns and words:
            found.update(self._pattern_spans(words, offsets, clauses))
        return tuple(sorted(found, key=lambda s: (s.start, s.end, s.id)))

    def _pattern_spans(
        self, words: list[str], offsets: list[tuple[int, int]], clauses: list[tuple[int, int]]
    ) -> list[Span]:
        """The patterns' matches over the clauses' words, in offsets of the original text."""
        joined = _APART.join(" ".join(words[first:last]) for first, last in clauses)
        starts: list[int] = []  # where each word stands in `joined`
        at = 0
        for first, last in clauses:
            for index in range(first, last):
                starts.append(at)
                at += len(words[index]) + 1
            at += len(_APART) - 1
        tries: dict[int, list[int]] = {}  # pattern -> the word indices it may start at
        for index, word in enumerate(words):
            for pattern in self._starting(word):
                tries.setdefault(pattern, []).append(index)
        out: list[Span] = []
        heads = {word[:size] for word in set(words) for size in range(3, len(word) + 1)}  # runs that start a word
        for pattern, at_words in tries.items():
            if not _contains(joined, heads, self._required[pattern]):
                continue
            regex, concept = self._patterns[pattern]
            end = -1
            for index in sorted(set(at_words)):
                if starts[index] < end:
                    continue
                match = regex.match(joined, starts[index])
                if match and "|" not in match.group(0):
                    end = match.end()
                    out.append(_pattern_span(concept, match, starts, offsets))
        anchored = self._anchored
        for pattern in self._unprefixed:
            regex, concept = self._patterns[pattern]
            if pattern in anchored or not _contains(joined, heads, self._required[pattern]):
                continue
            for match in regex.finditer(joined):
                if "|" not in match.group(0):
                    out.append(_pattern_span(concept, match, starts, offsets))
        for pattern in anchored:
            regex, concept = self._patterns[pattern]
            for first, last in clauses:
                clause = " ".join(words[first:last])
                match = regex.search(clause)
                if match:  # offsets within the clause, then within the joined text
                    moved = re.compile(re.escape(match.group(0))).match(joined, starts[first] + match.start())
                    if moved:
                        out.append(_pattern_span(concept, moved, starts, offsets))
        return out

    def _inverted(self, stems: list[str]) -> list[tuple[int, int, str]]:
        """Find "X of (the) (side) Y" as the phrase "(side) Y X": the longest readings at each preposition.

        A side straight after X stands for the preposition too: "swelling R calf" is right calf swelling.
        """
        found: list[tuple[int, int, str]] = []
        for at, word in enumerate(stems):
            implicit = word in _SIDES or word in _SHORT_SIDES
            if (word not in _INVERTING and not implicit) or at == 0 or stems[at - 1] not in self._lasts:
                continue  # the phrase read would end with the word before the preposition
            after = at if implicit else at + 1
            while not implicit and after < len(stems) and stems[after] in _DETERMINERS:
                after += 1
            side = _SIDES.get(stems[after], _SHORT_SIDES.get(stems[after])) if after < len(stems) else None
            head_start = after + 1 if side else after
            # As in "right calf swelling", a sided reading also names the unsided phrase within it.
            best: dict[bool, tuple[int, int, str]] = {}
            # The head may follow a modifier the phrase lacks ("pain in the lower back" is back pain).
            heads = [
                (first, end)
                for first in range(head_start, min(head_start + _INVERTED_MAX, len(stems)))
                for end in range(first + 1, min(first + _INVERTED_MAX, len(stems)) + 1)
                # "pain in the back of the knee": the back is the knee's, not the patient's back.
                if end == len(stems) or stems[end] != "of"
            ]
            if implicit:  # the part itself follows the side: "swelling R calf", never "swelling, left and right"
                heads = [(f, e) for f, e in heads if f == head_start and not any(w in _SIDES for w in stems[f:e])]
            for tail in range(min(_INVERTED_MAX, at), 0, -1):
                for first, end in heads:
                    body = stems[first:end] + stems[at - tail : at]
                    for sided, key in ((True, _side_first([side, *body]) if side else ""), (False, " ".join(body))):
                        held = best.get(sided)
                        if key in self._ids and (held is None or end - (at - tail) > held[1] - held[0]):
                            best[sided] = (at - tail, end, key)
            found.extend(best.values())
        return found

    def _skipping(self, stems: list[str], spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """Phrases read past transparent words, and shared heads: "calf pain and swelling" is also calf swelling."""
        keep = [i for i, word in enumerate(stems) if word not in _TRANSPARENT]
        skipped = len(keep) < len(stems)
        if not skipped and _AND.isdisjoint(stems):
            return []  # the common case: nothing to read past, no shared head
        words = [stems[i] for i in keep]
        known = {(start, end) for start, end, _ in spans}
        found: list[tuple[int, int, str]] = []
        for at in range(len(words)):
            for size in range(min(self._longest, len(words) - at), 1, -1) if skipped else ():
                phrase = " ".join(words[at : at + size])
                span = (keep[at], keep[at + size - 1] + 1)
                if phrase in self._ids and span not in known:
                    found.append((*span, phrase))
                    break
            if words[at] in _AND and 2 <= at < len(words) - 1:
                # "X A and B" also says "X B", the head X of one or two words.
                for head in (1, 2):
                    phrase = " ".join([*words[max(at - 1 - head, 0) : at - 1], words[at + 1]])
                    if phrase in self._ids:
                        found.append((keep[max(at - 1 - head, 0)], keep[at + 1] + 1, phrase))
        return found

    def _sided(self, stems: list[str], spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """Join a side written apart ("right-sided calf swelling", "calf swelling on the right") to its phrase."""
        found: list[tuple[int, int, str]] = []
        for at, word in enumerate(stems):
            side = _SIDES.get(word)
            if side is None:
                continue
            # Also the words just before the side, which may name a phrase only with it ("calf pain, left side").
            near = [
                (k, e, " ".join(stems[k:e])) for e in range(max(1, at - 2), at + 1) for k in range(max(0, e - 3), e)
            ]
            for start, end, phrase in spans + near:
                if phrase.split(" ", 1)[0] in _SIDES.values():
                    continue
                # Before the phrase only as "right-sided ..."; after it as "on the right (side)" or
                # as the clause's last word, so "calf swelling, right knee pain" stays unsided.
                before = at < start and bool(stems[at + 1 : start]) and set(stems[at + 1 : start]) <= _SIDE_WORDS
                gap = stems[end:at]
                tail = stems[at + 1 :]
                after = (
                    at >= end
                    and set(gap) <= _INVERTING | _DETERMINERS
                    and (bool(gap) and gap[0] in _INVERTING or not tail or tail[0] in _SIDE_TAIL)
                )
                key = f"{side} {phrase}"
                if (before or after) and key in self._ids:
                    found.append((min(start, at), max(end, at + 1), key))
        return found


def _contains(text: str, heads: set[str], required: tuple[frozenset[str], ...]) -> bool:
    """True when the text holds one run of each group (rules/prefixes.py); a run that must start a word
    (" bottle") is looked up among the beginnings of the text's words, not searched for."""
    for group in required:
        for run in group:
            if run[1:] in heads if run[0] == " " else run in text:
                break
        else:
            return False
    return True


def _prefix_keys(word: str) -> tuple[str, ...]:
    """The keys a word can start a pattern under (rules/prefixes.py): its first 1-3 letters, or itself whole."""
    keys = tuple(word[:size] for size in range(1, min(len(word), 3) + 1))
    return (*keys, word + " ") if len(word) <= 2 else keys


def _pattern_span(concept: str, match: re.Match[str], starts: list[int], offsets: list[tuple[int, int]]) -> Span:
    """A match over joined words, in the original text's offsets (a word maps letter for letter)."""
    first = bisect_right(starts, match.start()) - 1
    last = bisect_right(starts, max(match.end() - 1, match.start())) - 1
    start = offsets[first][0] + min(match.start() - starts[first], offsets[first][1] - offsets[first][0])
    end = offsets[last][0] + min(match.end() - starts[last], offsets[last][1] - offsets[last][0])
    return Span(concept, start, max(end, start), match.group(0))


def _side_first(stems: list[str]) -> str:
    """Return the key of a phrase with its one side word moved to the front ('' if it has none or two)."""
    sides = [i for i, word in enumerate(stems) if word in _SIDES]
    if len(sides) != 1:
        return ""
    side = sides[0]
    return " ".join([_SIDES[stems[side]], *stems[:side], *stems[side + 1 :]])


def _keep(hits: dict[str, Hit], hit: Hit) -> None:
    # An affirmed mention outweighs a negated one of the same concept in one text.
    current = hits.get(hit.id)
    if current is None or (current.negated and not hit.negated):
        hits[hit.id] = hit


def _negated(before: list[str], after: list[str]) -> bool:
    return _has_cue(before[-_PRE_WINDOW:], _PRE_NEGATION) or _has_cue(after[:_POST_WINDOW], _POST_NEGATION)


def _uncertain(before: list[str]) -> bool:
    return _has_cue(before[-_UNCERTAIN_WINDOW:], _UNCERTAIN)


def _someone_else(before: list[str]) -> bool:
    # "family history of DVT": the phrase may itself begin with "history", leaving "family" alone before it.
    return bool(before) and (before[-1] in ("family", "fh") or _has_cue(before[-_PRE_WINDOW:], _OTHER_PERSON))


def _has_cue(words: list[str], cues: tuple[str, ...]) -> bool:
    joined = f" {' '.join(words)} "
    return any(f" {cue} " in joined for cue in cues)

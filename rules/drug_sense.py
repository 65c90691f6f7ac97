"""Whether a word with another sense names a drug where it stands: "on stimulants", not "nerve stimulation".

The vocabulary marks such words (`ambiguous:` on a drug class); this table says what makes a drug
context, in the manner of ConText's closed cue tables: a word of taking or stopping before the name
("on", "takes a", "stopped her"), or a word of use after it ("stimulant use", "stimulant tablets").
"""

from __future__ import annotations

import re

_BEFORE = re.compile(
    r"\b(?:on|taking|takes|take|took|using|uses|use|used|started|starts|starting|stopped|stopping|restarted|"
    r"resumed|prescribed|given|abusing|abuses|abused|misusing|misuses|snorting|course|dose|doses|intake|"
    r"overdose|overdosed|off)(?:\s+(?:of|a|an|the|his|her|their|my|some|oral|prescription|regular|daily|illicit|basal|"
    r"bolus|long|short|acting|sliding|scale|subcutaneous|sc|iv|im|transdermal|topical|vaginal)){0,3}"
    r"\s*$"
)
_AFTER = re.compile(
    r"^\s*(?:use|used|user|users|abuse|misuse|medications?|medicines?|drugs?|tablets?|pills?|capsules?|"
    r"therapy|treatment|doses?|intake|overdose|prescriptions?|injections?|pump|patch|replacement|"
    r"\d+(?:\.\d+)?\s*(?:mg|mcg|g|units?|iu)|such\s+as)\b"
)
_NON_WORD = re.compile(r"[^a-z0-9]+")
_REACH = 40  # characters either side read for a cue


def drug_context(text: str, start: int, end: int) -> bool:
    """True when the words just before text[start:end] or just after it speak of taking a drug."""
    before = _NON_WORD.sub(" ", text[max(0, start - _REACH) : start].lower())
    after = _NON_WORD.sub(" ", text[end : end + _REACH].lower())
    return bool(_BEFORE.search(before) or _AFTER.search(after))


def drug_context_anywhere(text: str, phrase_words: str) -> bool:
    """For a short text: a drug context around any place the phrase's first word stands."""
    lowered = text.lower()
    word = phrase_words.split(" ", 1)[0]
    at = lowered.find(word)
    while at >= 0:
        if drug_context(text, at, _word_end(lowered, at)):
            return True
        at = lowered.find(word, at + 1)
    return False


def _word_end(text: str, at: int) -> int:
    found = re.compile(r"[a-z0-9]*").match(text, at)
    return found.end() if found else at

"""Whether the words around a drug's name put it in the past: "stopped atorvastatin", not "restarted" it."""

from __future__ import annotations

import re

# Words that put a drug in the past ("atorvastatin, stopped in March", "no longer taking
# simvastatin", "previously on a statin"): a closed cue table in the manner of ConText.
_PAST_CUES = re.compile(
    r"\b(stopped|discontinued|ceased|withdrawn|held|no longer|previously|formerly|used to take|was on|came off|"
    r"taken off|d c d|dc d)\b"
)
# ... unless they say it was taken up again ("restarted after being stopped").
_AGAIN_CUES = re.compile(r"\b(restarted|re started|resumed|rechallenged|re challenged|back on|started again)\b")
_CUE_REACH = 40  # characters either side of the drug's name that a cue must fall within


def exposure_in_text(text: str, negated: bool, stated: str, phrase: str = "") -> str:
    """The exposure a drug mention has: past when the words near it say it was stopped, else denied or as stated."""
    lowered = text.lower()
    at = lowered.find(phrase.lower()) if phrase else -1
    near = lowered if at < 0 else lowered[max(0, at - _CUE_REACH) : at + len(phrase) + _CUE_REACH]
    if _PAST_CUES.search(near) and not _AGAIN_CUES.search(near):
        return "past"
    return "denied" if negated else stated


def taken_again(text: str) -> bool:
    """True when the words say a drug was taken up again after a stop."""
    return bool(_AGAIN_CUES.search(text.lower()))


# Words just before a drug's name that say it is taken now ("h/o hypothyroidism, on levothyroxine").
_TAKING = re.compile(
    r"\b(?:on|takes|taking|continues|continuing|still on|remains on|currently on)\s+(?:[a-z]+\s+){0,2}$"
)


def taken_now(before: str) -> bool:
    """True when the words just before a drug's name say it is taken now."""
    return bool(_TAKING.search(before.lower()[-_CUE_REACH:]))

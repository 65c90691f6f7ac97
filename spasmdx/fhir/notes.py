"""Clinical notes (FHIR R4 DocumentReferences) as one narrative text: pure functions, no web framework.

A note is read from its attachment's inline `data` (base64); an attachment by `url` is read only once
the caller has fetched it into `data` (the CDS Hooks service does so from the allowed fhirServer).
text/plain and text/html are read; anything else is listed as not read, never guessed at.  The notes
kept (current, recent, newest first, at most MAX_NOTES and MAX_CHARS in all) are joined with blank
lines, and `Narrative.locate` turns an offset in the joined text back into the note and its offset.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from spasmdx.schemas.request import MAX_NARRATIVE

from .attachments import READ_TYPES, Unreadable, attachment_text, media_type
from .datatypes import Note, fhir_date, items, label, obj, reference_key, text

log = logging.getLogger("spasmdx.fhir")
MAX_NOTES = 5
MAX_CHARS = MAX_NARRATIVE  # the context's narrative: at most this many characters, separators included
MAX_AGE_DAYS = 30  # notes older than this (days before the reference date) are not read by default
SEPARATOR = "\n\n"
UNUSABLE = {"entered-in-error": "entered in error", "superseded": "superseded by a newer version"}
_SENTENCE_ENDS = tuple(f"{mark}{space}" for mark in ".!?;:" for space in " \n")


@dataclass(frozen=True)
class Part:
    """One note's text within the narrative: [start, end) there, where it came from, how a card names it."""

    start: int
    end: int
    path: str  # prefetch.notes.entry[0].content[0].attachment
    label: str  # "Progress note, 2026-11-18, physician"


@dataclass(frozen=True)
class Narrative:
    """The notes' text joined newest first, the parts it is made of, and notes on what was not read."""

    text: str = ""
    parts: tuple[Part, ...] = ()
    notes: list[Note] = field(default_factory=list)

    def locate(self, start: int, end: int) -> tuple[Part, int, int] | None:
        """Return (the note, start, end within its text) of a span of the narrative, or None if it spans none."""
        index = bisect_right(self._starts, start) - 1  # the parts are in order of their start
        part = self.parts[index] if index >= 0 else None
        if part is not None and start <= end <= part.end:
            return part, start - part.start, end - part.start
        return None

    @cached_property
    def _starts(self) -> list[int]:
        return [part.start for part in self.parts]

    def quoted(self, path: str, start: int, end: int) -> tuple[str, str] | None:
        """Return (the note's label, the words) of a span given within a note (its path and offsets there)."""
        for part in self.parts:
            if part.path == path and 0 <= start <= end <= part.end - part.start:
                return part.label, self.text[part.start + start : part.start + end]
        return None


def read(
    documents: Iterable[tuple[str, dict[str, Any]]],
    reference_date: date,
    max_age_days: int | None = MAX_AGE_DAYS,
    max_notes: int = MAX_NOTES,
    max_chars: int = MAX_CHARS,
) -> Narrative:
    """Read DocumentReferences (path, resource) into one narrative, newest first, within the limits."""
    notices: list[Note] = []
    chosen = select(documents, reference_date, max_age_days, max_notes, notices)
    pieces: list[str] = []
    parts: list[Part] = []
    used = 0
    for path, resource, when in chosen:
        found = _note_text(resource, path, notices)
        if found is None:
            continue
        where, body = found
        start = used + (len(SEPARATOR) if pieces else 0)
        room = max_chars - start
        if room <= 0:
            _notice(notices, where, resource, f"over the {max_chars:,} characters read from notes: not read")
            continue
        if len(body) > room:
            body = _cut(body, room)
            _notice(notices, where, resource, f"cut at {len(body):,} characters: notes are read to {max_chars:,}")
            if not body:
                continue
        if pieces:
            pieces.append(SEPARATOR)
        pieces.append(body)
        parts.append(Part(start, start + len(body), where, describe(resource, when)))
        # After a note is cut, no older one is read: the narrative ends where the budget did.
        used = start + len(body) if len(body) == len(found[1]) else max_chars
    return Narrative("".join(pieces), tuple(parts), notices)


def select(
    documents: Iterable[tuple[str, dict[str, Any]]],
    reference_date: date,
    max_age_days: int | None,
    max_notes: int,
    notices: list[Note],
) -> list[tuple[str, dict[str, Any], date | None]]:
    """Keep the current notes within the window, newest first (undated last), at most max_notes."""
    kept: list[tuple[str, dict[str, Any], date | None]] = []
    for path, resource in documents:
        status = text(resource.get("status")) or ""
        doc_status = text(resource.get("docStatus")) or ""
        when = written(resource)
        if status in UNUSABLE or doc_status in UNUSABLE:
            _notice(notices, path, resource, f"{UNUSABLE.get(status) or UNUSABLE[doc_status]}: not used")
        elif max_age_days is not None and when is not None and (reference_date - when).days > max_age_days:
            _notice(
                notices, path, resource, f"written {when}, over {max_age_days} days before {reference_date}: not read"
            )
        else:
            kept.append((path, resource, when))
    # Stable: notes of the same day keep the order the server sent them in (its own newest first).
    kept.sort(key=lambda found: found[2] or date.min, reverse=True)
    for path, resource, _ in kept[max_notes:]:
        _notice(notices, path, resource, f"more than {max_notes} notes: only the newest are read")
    return kept[:max_notes]


def written(resource: dict[str, Any]) -> date | None:
    """Return the day a note was written: its date, else its attachment's creation, else its period."""
    found = fhir_date(resource.get("date"))
    for content in items(resource.get("content")):
        found = found or fhir_date(obj(obj(content).get("attachment")).get("creation"))
    period = obj(obj(resource.get("context")).get("period"))
    return found or fhir_date(period.get("end")) or fhir_date(period.get("start"))


def describe(resource: dict[str, Any], when: date | None) -> str:
    """Name a note as a card does: its type, the day it was written, its author's role where it says."""
    words = [label(resource.get("type")) or "Clinical note"]
    if when:
        words.append(when.isoformat())
    role = author_role(resource)
    if role:
        words.append(role)
    return ", ".join(words)


def author_role(resource: dict[str, Any]) -> str | None:
    """Return the role of the note's author where a contained PractitionerRole states it (never a name)."""
    contained = {text(obj(c).get("id")): obj(c) for c in items(resource.get("contained"))}
    for author in items(resource.get("author")):
        reference = text(obj(author).get("reference")) or ""
        role = contained.get(reference[1:]) if reference.startswith("#") else None
        if role and role.get("resourceType") == "PractitionerRole":
            for code in items(role.get("code")):
                if label(code):
                    return label(code)
    return None


def to_fetch(
    documents: Iterable[tuple[str, dict[str, Any]]],
    reference_date: date,
    max_age_days: int | None = MAX_AGE_DAYS,
    patient_id: str | None = None,
    max_notes: int = MAX_NOTES,
) -> list[tuple[str, dict[str, Any]]]:
    """Return (path, attachment) of each note to be read whose readable attachment is a url with no data."""
    wanted = []
    ours = [(p, r) for p, r in documents if not _about_another_patient(r, patient_id)]
    for path, resource, _ in select(ours, reference_date, max_age_days, max_notes, []):
        chosen = _chosen(resource, path)
        if chosen and "data" not in chosen[1] and text(chosen[1].get("url")):
            wanted.append(chosen)
    return wanted


def attachments_to_fetch(
    key: str, reference_date: date, max_age_days: int | None, patient_id: str | None
) -> Callable[[Mapping[str, Any]], list[tuple[str, dict[str, Any]]]]:
    """Return a function giving (path, attachment) of the notes under prefetch[key] that need their url fetched."""

    def wanted(prefetch: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        found = documents_in(prefetch.get(key), f"prefetch.{key}")
        return to_fetch(found, reference_date, max_age_days, patient_id)

    return wanted


def _about_another_patient(resource: dict[str, Any], patient_id: str | None) -> bool:
    subject = reference_key(resource.get("subject"))
    wanted = (patient_id or "").removeprefix("Patient/")
    return bool(wanted and subject and subject.startswith("Patient/") and subject != f"Patient/{wanted}")


def documents_in(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (path, resource) of each DocumentReference in a resource or a searchset Bundle."""
    resource = obj(value)
    if resource.get("resourceType") == "DocumentReference":
        yield path, resource
    elif resource.get("resourceType") == "Bundle":
        for index, entry in enumerate(items(resource.get("entry"))):
            found = obj(obj(entry).get("resource"))
            if found.get("resourceType") == "DocumentReference":
                yield f"{path}.entry[{index}]", found


def _chosen(resource: dict[str, Any], path: str) -> tuple[str, dict[str, Any]] | None:
    """Return the attachment to read: the first of a type read here (or of no stated type, by url)."""
    for index, content in enumerate(items(resource.get("content"))):
        attachment = obj(obj(content).get("attachment"))
        kind = media_type(attachment.get("contentType"))[0]
        if kind in READ_TYPES or (not kind and "data" not in attachment and text(attachment.get("url"))):
            return f"{path}.content[{index}].attachment", attachment
    return None


def _note_text(resource: dict[str, Any], path: str, notices: list[Note]) -> tuple[str, str] | None:
    """Return (attachment path, text) of a note, or None after noting why it was not read."""
    chosen = _chosen(resource, path)
    if chosen is None:
        contents = items(resource.get("content"))
        kinds = sorted({media_type(obj(obj(c).get("attachment")).get("contentType"))[0] or "no type" for c in contents})
        why = f"{' and '.join(kinds)}: not a type read here (text/plain, text/html)" if kinds else "no content"
        _notice(notices, path, resource, f"{why}: not read")
        return None
    where, attachment = chosen
    try:
        body = attachment_text(attachment)
    except Unreadable as error:
        _notice(notices, where, resource, f"{error}: not read")
        return None
    except Exception as error:  # a note the readers above did not foresee costs that note only, never the call
        log.warning("could not read %s: %s", where, type(error).__name__)  # the type only: never the text
        _notice(notices, where, resource, "could not be read")
        return None
    if not body:
        _notice(notices, where, resource, "no text in it")
        return None
    return where, body


def _cut(body: str, room: int) -> str:
    """Return body cut to at most `room` characters, at the last sentence or line end that fits."""
    # The punctuation may be the last character that fits, its space the first that does not.
    end = max(max(body.rfind(mark, 0, room + 1) + 1 for mark in _SENTENCE_ENDS), body.rfind("\n", 0, room + 1))
    if end > 0:
        return body[:end].rstrip()
    return body[:room].rsplit(" ", 1)[0] if " " in body[:room] else ""  # one sentence longer than the room


def _notice(notices: list[Note], path: str, resource: dict[str, Any], reason: str) -> None:
    ident = text(resource.get("id"))
    notices.append(
        {"path": path, "input": f"DocumentReference/{ident}" if ident else "DocumentReference", "reason": reason}
    )

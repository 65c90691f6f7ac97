"""A FHIR Attachment held inline as text: base64 decoded in its charset, HTML markup stripped safely."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from html.parser import HTMLParser
from typing import Any

from .datatypes import text

READ_TYPES = ("text/plain", "text/html")
MAX_NOTE_BYTES = 512 * 1024  # a decoded attachment past this is not read: no note is that long as text
_BLOCKS = frozenset(
    (
        *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption"),
        *("figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav"),
        *("ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
    )
)
_DROPPED = frozenset(("script", "style", "head", "title", "template", "noscript", "object", "iframe", "svg"))
_SPACES = re.compile(r"[ \t\f\v\r\u00a0]{2,}|[\t\f\v\r\u00a0]")  # a single space is left alone: fast
_BLANK_LINES = re.compile(r"\n{3,}")


class Unreadable(Exception):
    """An attachment that is not read; the message says why, for the clinician."""


def attachment_text(attachment: dict[str, Any]) -> str:
    """Return the text of an attachment held inline (markup stripped), or raise Unreadable."""
    kind, charset = media_type(attachment.get("contentType"))
    data = attachment.get("data")
    if not isinstance(data, str):
        if text(attachment.get("url")):
            raise Unreadable("its url could not be read from an allowed fhirServer")
        raise Unreadable("no data and no url")
    if kind not in READ_TYPES:
        raise Unreadable(f"{kind or 'no contentType'}: not a type read here (text/plain, text/html)")
    compact = "".join(data.split())
    if len(compact) > (MAX_NOTE_BYTES + 2) // 3 * 4:  # known too large before it is decoded
        raise Unreadable(f"over {MAX_NOTE_BYTES // 1024} KB")
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)  # padding left off is forgiven
    except (binascii.Error, ValueError):
        raise Unreadable("its data is not base64") from None
    if len(raw) > MAX_NOTE_BYTES:
        raise Unreadable(f"over {MAX_NOTE_BYTES // 1024} KB")
    decoded = decode(raw, charset)
    return html_text(decoded) if kind == "text/html" else plain_text(decoded)


def media_type(content_type: Any) -> tuple[str, str]:
    """Return (type/subtype lowercased, charset or "") of a contentType such as `text/plain; charset=utf-8`."""
    if not isinstance(content_type, str):
        return "", ""
    kind, *parameters = content_type.split(";")
    charset = ""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return kind.strip().lower()[:100], charset[:40]


def decode(raw: bytes, charset: str) -> str:
    """Decode bytes in the named charset (UTF-8 when none is named), or raise Unreadable."""
    name = charset or "utf-8"
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise Unreadable(f"charset {name[:40]} is not known") from None
    if not getattr(info, "_is_text_encoding", True):  # rot13, base64 and the like: transforms, not charsets
        raise Unreadable(f"charset {name[:40]} is not a text encoding")
    try:
        return raw.decode(info.name).removeprefix("\ufeff")
    except (UnicodeError, ValueError):  # UnicodeDecodeError, and codecs such as idna that raise their own
        raise Unreadable(f"not valid {info.name} text") from None


def plain_text(value: str) -> str:
    """Tidy plain text: one kind of line break, runs of spaces as one, at most one blank line in a row."""
    spaced = value.replace("\r\n", "\n").replace("\r", "\n")
    if "  " in spaced or any(space in spaced for space in "\t\f\v\u00a0"):  # the regex only when it has work
        spaced = _SPACES.sub(" ", spaced)
    joined = "\n".join(line.strip(" ") for line in spaced.split("\n"))
    return (_BLANK_LINES.sub("\n\n", joined) if "\n\n\n" in joined else joined).strip()


def html_text(markup: str) -> str:
    """Return the text of an HTML note: scripts and styles dropped, block elements and headings as line breaks."""
    reader = _TextReader()
    reader.feed(markup)
    reader.close()
    return plain_text("".join(reader.out))


class _TextReader(HTMLParser):
    """Collect the text of a document; never fetches, runs or evaluates anything it reads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropping += 1
        elif tag in _BLOCKS:
            self._break(2 if _is_heading(tag) else 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:  # <br/>, <hr/>
            self._break(1)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCKS:
            # A heading stands on a line of its own with a blank line around it, so a section's title
            # never runs into its text; other blocks end their line.
            self._break(2 if _is_heading(tag) else 1)

    def _break(self, lines: int) -> None:
        """End the text so far with at least `lines` line breaks (block boundaries in a row count once)."""
        trailing = 0
        for piece in reversed(self.out):
            stripped = piece.rstrip(" \t")
            trailing += len(stripped) - len(stripped.rstrip("\n"))
            if stripped.strip("\n"):
                break
        if self.out and trailing < lines:
            self.out.append("\n" * (lines - trailing))

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.out.append(data)


def _is_heading(tag: str) -> bool:
    return len(tag) == 2 and tag[0] == "h" and tag[1].isdigit()

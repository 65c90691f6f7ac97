"""Read cases from JSON Lines, folders of .json files, FHIR Bundles or standard input.

The kind is detected by content, not by name: a file whose first non-blank line is a
whole JSON value is JSON Lines; otherwise the file is one JSON document (a case or a FHIR
Bundle).  Every case, good or bad, becomes one Record, numbered as it stands in its input.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

STDIN = "-"


@dataclass(frozen=True, slots=True)
class Record:
    source: str  # the input it came from ("-" for standard input)
    line: int  # 1-based: its line in a JSON Lines input, or its position in a folder
    raw: bytes  # the JSON as read, parsed (and its UTF-8 checked) where it is scored


@dataclass(frozen=True, slots=True)
class Part:
    """A slice of one input, to be read where it is scored (a Dask task, say)."""

    source: str
    kind: str  # "lines" (a byte range of a JSON Lines file) or "files"
    start: int
    end: int
    first_line: int
    files: tuple[str, ...] = ()


class InputError(Exception):
    """An input cannot be read at all (the run fails; a bad case inside one does not)."""


def check(sources: list[str]) -> None:
    """Refuse, before anything is written, an input that cannot be read at all."""
    for source in sources:
        if source == STDIN:
            continue
        path = Path(source)
        if not path.exists():
            raise InputError(f"cannot read {source}: no such file or folder")
        if not os.access(path, os.R_OK):
            raise InputError(f"cannot read {source}: permission denied")


def records(sources: list[str], skip: int = 0) -> Iterator[Record]:
    """Yield every case of every input in order, after skipping the first `skip`."""
    seen = 0
    for source in sources:
        for record in _records_of(source):
            seen += 1
            if seen > skip:
                yield record


def _records_of(source: str) -> Iterator[Record]:
    if source == STDIN:
        yield from _lines(source, sys.stdin.buffer)
        return
    path = Path(source)
    if path.is_dir():
        for index, file in enumerate(_json_files(path), start=1):
            yield Record(str(path), index, _read_bytes(file))
        return
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise InputError(f"cannot read {source}: {error.strerror}") from None
    with handle:
        if _is_json_lines(handle):
            yield from _lines(source, handle)
        else:
            yield Record(source, 1, handle.read())


def _lines(source: str, handle: IO[bytes], first_line: int = 1) -> Iterator[Record]:
    # Lines end at b"\n" only, in every reader, so a slice read on a cluster numbers and
    # splits exactly as a whole-file read does.
    for number, raw in enumerate(handle, start=first_line):
        if raw.strip():
            yield Record(source, number, raw)


def _is_json_lines(handle: IO[bytes]) -> bool:
    """Peek: True when the first non-blank line parses on its own."""
    position = handle.tell()
    try:
        for line in handle:
            if line.strip():
                try:
                    orjson.loads(line)
                    return True
                except ValueError:
                    return False
        return True  # empty file: no cases either way
    finally:
        handle.seek(position)


def _json_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == ".json" and p.is_file())


def _read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {file}: {error.strerror}") from None


def count(sources: list[str]) -> int | None:
    """Count the cases ahead (for a progress bar), or None when an input is a stream."""
    total = 0
    for source in sources:
        if source == STDIN:
            return None
        path = Path(source)
        if path.is_dir():
            total += len(_json_files(path))
            continue
        with open(path, "rb") as handle:
            first = handle.readline()
            if not first.strip() or _parses(first):
                total += (first.strip() != b"") + sum(1 for line in handle if line.strip())
            else:
                total += 1
    return total


def _parses(raw: bytes) -> bool:
    try:
        orjson.loads(raw)
        return True
    except ValueError:
        return False


def parts(sources: list[str], lines_per_part: int = 5000, files_per_part: int = 500) -> Iterator[Part]:
    """Split the inputs into slices that can be read independently, in input order."""
    for source in sources:
        path = Path(source)
        if source == STDIN:
            raise InputError("a cluster run needs files it can split; standard input cannot be shared")
        if path.is_dir():
            files = [str(f) for f in _json_files(path)]
            for start in range(0, len(files), files_per_part):
                chunk = tuple(files[start : start + files_per_part])
                yield Part(str(path), "files", start, start + len(chunk), start + 1, chunk)
            continue
        with open(path, "rb") as handle:
            lines = _is_json_lines(handle)
        if not lines:
            yield Part(source, "files", 0, 1, 1, (source,))
            continue
        yield from _line_parts(source, lines_per_part)


def _line_parts(source: str, lines_per_part: int) -> Iterator[Part]:
    with open(source, "rb") as handle:
        start, line, first_line = 0, 0, 1
        for _ in handle:
            line += 1
            if line - first_line + 1 == lines_per_part:
                end = handle.tell()
                yield Part(source, "lines", start, end, first_line)
                start, first_line = end, line + 1
        end = handle.tell()
        if end > start:
            yield Part(source, "lines", start, end, first_line)


def read_part(part: Part) -> Iterator[Record]:
    """Yield the records of one slice, numbered as in the whole input."""
    if part.kind == "files":
        if part.files == (part.source,):  # a single-document file
            yield Record(part.source, 1, _read_bytes(Path(part.source)))
            return
        for index, file in enumerate(part.files, start=part.first_line):
            yield Record(part.source, index, _read_bytes(Path(file)))
        return
    with open(part.source, "rb") as handle:
        handle.seek(part.start)
        data = handle.read(part.end - part.start)
    yield from _lines(part.source, io.BytesIO(data), part.first_line)


def load(record: Record) -> Any:
    """Parse a record's JSON as the API does (orjson: strict RFC 8259, UTF-8); ValueError when it is not."""
    return orjson.loads(record.raw)

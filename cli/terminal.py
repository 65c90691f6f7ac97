"""Text that fits a terminal: paragraphs and table rows wrapped to a width in display cells.

Widths are counted as a terminal shows them (wcwidth): a CJK character takes two cells, a
combining accent none, so a non-ASCII name lines up like an ASCII one.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import NamedTuple

from wcwidth import ljust, rjust, width, wrap

WIDEST = 100  # a line longer than this is hard to read, however wide the terminal
NARROWEST = 40  # below this a table cannot hold its columns: it wraps as if this wide


class Cell(NamedTuple):
    text: str
    width: int
    right: bool = False  # aligned right (numbers), else left


def terminal_width() -> int:
    """The terminal's width in columns ($COLUMNS first), held between NARROWEST and WIDEST."""
    return max(NARROWEST, min(WIDEST, shutil.get_terminal_size((WIDEST, 24)).columns))


def cells(text: str) -> int:
    """Display cells a string takes (control characters count as none)."""
    return max(0, width(text))


def paragraph(text: str, columns: int, indent: str) -> str:
    """Text wrapped to `columns`, its continuation lines indented two more cells."""
    lines = wrap(text, columns, initial_indent=indent, subsequent_indent=indent + "  ")
    return "\n".join(lines) if lines else indent.rstrip()


def row(cells_: Sequence[Cell], indent: str) -> str:
    """One table row: each cell wrapped within its own width, the cells side by side."""
    columns = [wrap(cell.text, max(1, cell.width)) or [""] for cell in cells_]
    lines = []
    for line in range(max(len(column) for column in columns)):
        parts = []
        for cell, column in zip(cells_, columns, strict=True):
            piece = column[line] if line < len(column) else ""
            parts.append(rjust(piece, cell.width) if cell.right else ljust(piece, cell.width))
        lines.append((indent + " ".join(parts)).rstrip())
    return "\n".join(lines)

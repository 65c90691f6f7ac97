"""spasmdx: a ranked, explained differential for muscle spasms, cramps and twitches."""
from . import native

__version__ = "0.1.0"

native.install()  # before any engine module is imported: compiled only when built from these sources

"""spasmdx: a ranked, explained differential for muscle spasms, cramps and twitches."""

__version__ = "0.1.0"

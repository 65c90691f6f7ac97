"""FHIR R4 to the patient context the engine reads: pure functions, no web framework.

`to_context` maps resources and Bundles (the CDS Hooks prefetch, or a batch Bundle);
`datatypes` reads FHIR's data types tolerantly; `clinical` reads Conditions, medications and
Observations.
"""

from .mapping import Mapped, age_on, is_stale, to_context

__all__ = ["Mapped", "age_on", "is_stale", "to_context"]

"""FHIR R4 to the patient context the engine reads: pure functions, no web framework.

`to_context` maps resources and Bundles (the CDS Hooks prefetch, or a batch Bundle);
`datatypes` reads FHIR's data types tolerantly; `clinical` reads Conditions, medications and
Observations;
`notes` reads clinical notes (DocumentReferences) into one narrative.
"""

from .mapping import Mapped, age_on, is_stale, to_context
from .notes import Narrative, attachments_to_fetch

__all__ = ["Mapped", "Narrative", "age_on", "attachments_to_fetch", "is_stale", "to_context"]

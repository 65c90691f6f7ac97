"""Score records where they are: one output record per input record, bad ones included."""

from __future__ import annotations

from typing import Any, Final

from spasmdx.rules import loader
from spasmdx.rules.engine import assess
from spasmdx.rules.knowledge import KnowledgeBase
from spasmdx.schemas.problem import problem_details, validation_problem
from spasmdx.scoring import answer, score_or_problem

from .formats import Outcome, encode, outcome
from .inputs import Part, Record, load, read_part

MALFORMED = "https://spasmdx.dev/problems/malformed-json"
WRAPPER_KEYS = {"case_id", "context"}
_kb: KnowledgeBase | None = None


def knowledge_base() -> KnowledgeBase:
    """Load the knowledge base once per process (a pool worker or a Dask worker)."""
    global _kb
    if _kb is None:
        _kb = loader.load()
    return _kb


class Case:
    """What one input record holds, before scoring (a plain class: a frozen dataclass builds far more slowly)."""

    __slots__ = ("case_id", "context", "mapped", "notes", "problem")

    def __init__(
        self,
        case_id: str | None = None,
        context: Any = None,
        mapped: dict[str, Any] | None = None,
        notes: list[dict[str, str]] | None = None,
        problem: dict[str, Any] | None = None,
    ) -> None:
        self.case_id: Final = case_id
        self.context: Final = context  # as sent: validated when scored
        self.mapped: Final = mapped  # from a FHIR Bundle: validated by the mapping already
        self.notes: Final = notes or []
        self.problem: Final = problem


def compact(result: dict[str, Any]) -> dict[str, Any]:
    """A batch record's answer without what is the same in every record: each cause's summary, and
    its references as ids (the run writes the citations once, beside its output)."""
    for cause in result["differential"]:
        del cause["summary"]
        cause["references"] = [reference["id"] for reference in cause["references"]]
    return result


def score_record(
    kb: KnowledgeBase, record: Record, limit: int, with_source: bool, full: bool = False
) -> dict[str, Any]:
    """Return {"line", "case_id", "result" | "error"} for one record (compact unless `full`)."""
    out = _score_record(kb, record, limit, with_source)
    if not full and "result" in out:
        compact(out["result"])
    return out


def _score_record(kb: KnowledgeBase, record: Record, limit: int, with_source: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"line": record.line}
    if with_source:
        out["input"] = record.source
    try:
        case = _case(load(record))
    except ValueError as error:
        case = Case(
            problem=problem_details(400, "Bad Request", f"Line {record.line} is not valid JSON ({error}).", MALFORMED)
        )
    out["case_id"] = case.case_id
    if case.problem is not None:
        out["error"] = case.problem
        return out
    request_id = case.case_id if case.case_id is not None else f"line-{record.line}"
    if case.mapped is not None:
        result = answer(kb, assess(kb, case.mapped, limit=limit), request_id)
        result["unrecognized"] = [*result["unrecognized"], *case.notes]
        out["result"] = result
        return out
    kind, body = score_or_problem(kb, case.context, request_id, limit)
    out[kind] = body
    return out


def _case(data: Any) -> Case:
    """Read a case: wrapped {"case_id", "context"}, a FHIR Bundle, or a bare context."""
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        from .fhir import bundle_case  # only FHIR inputs pay for the mapping's import

        case_id, mapped, notes = bundle_case(data)
        return Case(case_id=case_id, mapped=mapped, notes=notes)
    if isinstance(data, dict) and "context" in data:
        case_id = data.get("case_id")
        extra = sorted(set(data) - WRAPPER_KEYS)
        if extra:
            return Case(_text(case_id), problem=validation_problem({key: ["Unknown field."] for key in extra}))
        if case_id is not None and not isinstance(case_id, (str, int)):
            return Case(problem=validation_problem({"case_id": ["Not a valid string."]}))
        return Case(_text(case_id), data["context"])
    return Case(context=data)


def _text(case_id: Any) -> str | None:
    return None if case_id is None else str(case_id)


Scored = tuple[bytes, Outcome]


def score_chunk(
    records: list[Record], limit: int, with_source: bool, fmt: str = "jsonl", full: bool = False
) -> list[Scored]:
    """Score records into finished output lines: the pure function a pool, Dask or Spark runs."""
    kb = knowledge_base()
    scored = (score_record(kb, record, limit, with_source, full) for record in records)
    # Encoded here, in the worker: handing back bytes costs far less than pickling the answers.
    return [(encode(out, fmt), outcome(out)) for out in scored]


def score_packed(
    packed: list[tuple[str, int, bytes]], limit: int, with_source: bool, fmt: str = "jsonl", full: bool = False
) -> list[Scored]:
    """score_chunk over records sent as (source, line, raw) tuples: what a process pool hands over
    cheaply (a Record pickles twenty times more slowly)."""
    return score_chunk([Record(source, line, raw) for source, line, raw in packed], limit, with_source, fmt, full)


def score_part(part: Part, limit: int, with_source: bool, fmt: str = "jsonl", full: bool = False) -> list[Scored]:
    """Read and score one slice of an input: the unit of work on a cluster."""
    return score_chunk(list(read_part(part)), limit, with_source, fmt, full)

"""The patient context a client sends to POST /v1/differential."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

MAX_ITEMS = 200  # per section: more than any real chart sends for one question
MAX_TEXT = 500
# The engine reads display and body_site as words (phrases, stems, negation, names): its time grows
# with their total length (400 distinct 490-character strings took 1.6 s). 16,000 characters in all
# holds a full chart (100 conditions, medications and labs of 50 characters each) and bounds a case's
# cost; the README gives the worst accepted case's time.
MAX_TEXT_TOTAL = 16_000
FREE_TEXT = ("display", "body_site", "specimen_comment")
# A clinical note (history, examination, review of systems, assessment) is read as a whole by
# rules/narrative.py in time linear in its length; it has its own budget beside MAX_TEXT_TOTAL.
MAX_NARRATIVE = 20_000
SECTIONS = ("findings", "medications", "conditions", "labs")
SEXES = ("female", "male", "other", "unknown")
STATUSES = ("active", "on-hold", "stopped", "completed", "intended", "not-taken", "entered-in-error", "unknown")

Text = lambda **kw: fields.String(validate=validate.Length(min=1, max=MAX_TEXT), **kw)  # noqa: E731


class Number(fields.Float):
    """A JSON number, as the contract says: not a numeric string, not a boolean."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Flag(fields.Boolean):
    """A JSON true or false, as the contract says: not "yes", not 1 (0 == False in a set, so check the type)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class CodeSchema(Schema):
    system = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))
    code = fields.String(required=True, validate=validate.Length(min=1, max=100))


class CodedSchema(Schema):
    """An item named by a code, a display text, or both."""

    code = fields.Nested(CodeSchema)
    display = Text()

    @validates_schema
    def _named(self, data: dict[str, Any], **_: Any) -> None:
        if "code" not in data and "display" not in data:
            raise ValidationError("give a code, a display, or both", "display")


class ClinicalItemSchema(CodedSchema):
    present = Flag(load_default=True)
    body_site = Text()
    onset_date = fields.Date()


class MedicationSchema(CodedSchema):
    status = fields.String(load_default="active", validate=validate.OneOf(STATUSES))
    start_date = fields.Date()
    end_date = fields.Date()


class RangeSchema(Schema):
    low = Number(allow_nan=False, allow_none=True)
    high = Number(allow_nan=False, allow_none=True)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        low, high = data.get("low"), data.get("high")
        if low is not None and high is not None and low > high:
            raise ValidationError("low must not exceed high", "low")


class LabSchema(CodedSchema):
    value = Number(required=True, allow_nan=False, validate=validate.Range(min=0, max=1e9))
    unit = fields.String(validate=validate.Length(max=50))
    reference_range = fields.Nested(RangeSchema)
    # The lab's comment on the sample ("haemolysed", "haemolysis index 3+"): a result the sample
    # falsely changes, such as potassium, is then not used (see `unrecognized`).
    specimen_comment = Text()


class TextOrItem(fields.Field):
    """A coded item as an object, or a plain string taken as its display."""

    def __init__(self, schema: type[Schema], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema = schema()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        if isinstance(value, str):
            value = {"display": value}
        elif not isinstance(value, dict):
            raise ValidationError("must be a string or an object")
        loaded: dict[str, Any] = self.schema.load(value)
        return loaded


def Section(schema: type[Schema]) -> fields.List:  # noqa: N802 - reads like a field class
    return fields.List(TextOrItem(schema), validate=validate.Length(max=MAX_ITEMS))


class PatientSchema(Schema):
    age = Number(allow_nan=False, validate=validate.Range(min=0, max=130))
    sex = fields.String(validate=validate.OneOf(SEXES))
    pregnant = Flag()


def over_text_budget(context: dict[str, Any]) -> tuple[str, int] | None:
    """Return (section, index) of the item whose free text takes the case past MAX_TEXT_TOTAL, or None.

    Reads a loaded context (every item a dict); the fast path calls it on its normalised one too.
    """
    total = 0
    for section in SECTIONS:
        for index, item in enumerate(context.get(section) or ()):
            total += sum(len(item.get(name) or "") for name in FREE_TEXT)
            if total > MAX_TEXT_TOTAL:
                return section, index
    return None


class ContextSchema(Schema):
    patient = fields.Nested(PatientSchema)
    findings = Section(ClinicalItemSchema)
    medications = Section(MedicationSchema)
    conditions = Section(ClinicalItemSchema)
    labs = Section(LabSchema)
    narrative = fields.String(
        validate=validate.Length(max=MAX_NARRATIVE, error=f"the narrative is over {MAX_NARRATIVE} characters")
    )

    @validates_schema(skip_on_field_errors=True)
    def _bounded(self, data: dict[str, Any], **_: Any) -> None:
        over = over_text_budget(data)
        if over is not None:
            section, index = over
            message = (
                f"the case's free text (display, body_site and specimen_comment) is over {MAX_TEXT_TOTAL} "
                "characters in all"
            )
            raise ValidationError({section: {index: {"display": [message]}}})


class DifferentialQuerySchema(Schema):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


MAX_BATCH = 1000


class BatchCaseSchema(Schema):
    case_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    context = fields.Raw(required=True, allow_none=True)  # validated case by case, so one bad case fails alone


class BatchRequestSchema(Schema):
    cases = fields.List(fields.Nested(BatchCaseSchema), required=True, validate=validate.Length(min=1, max=MAX_BATCH))

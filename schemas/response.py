"""What POST /v1/differential answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from spasmdx.rules.model import CATEGORIES, SEVERITIES, URGENCIES
from spasmdx.rules.narrative import MENTION_KINDS, MENTION_STATUSES

DISCLAIMER = "Decision support for clinicians; not a diagnosis."


class ReferenceSchema(Schema):
    id = fields.String(required=True)
    citation = fields.String(required=True)
    url = fields.String()
    lay = fields.Boolean()


class SpanSchema(Schema):
    """Where an input was written in a free-text field: text[start:end]."""

    path = fields.String(required=True)
    start = fields.Integer(required=True, validate=validate.Range(min=0))
    end = fields.Integer(required=True, validate=validate.Range(min=0))


class UnderstoodSchema(SpanSchema):
    """One mention read in the narrative."""

    text = fields.String(required=True)
    concept = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(MENTION_KINDS))
    status = fields.String(required=True, validate=validate.OneOf(MENTION_STATUSES))


class EvidenceSchema(Schema):
    effect = fields.String(required=True, validate=validate.OneOf(["supports", "against"]))
    source = fields.String(required=True)
    input = fields.String(required=True)
    reason = fields.String(required=True)
    weight = fields.Float(required=True)
    likelihood_ratio = fields.Float(required=True)
    references = fields.List(fields.String(), required=True)
    spans = fields.List(fields.Nested(SpanSchema))  # inputs read in the narrative


class EstablishedSchema(Schema):
    criterion = fields.String(required=True)
    because = fields.List(fields.String(), required=True)
    references = fields.List(fields.String(), required=True)


class CauseSchema(Schema):
    rank = fields.Integer(required=True)
    id = fields.String(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    probability = fields.Float(required=True)
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    summary = fields.String(required=True)
    established = fields.Nested(EstablishedSchema)
    alert_ids = fields.List(fields.String())
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)
    next_steps = fields.List(fields.String(), required=True)
    references = fields.List(fields.Nested(ReferenceSchema), required=True)


class FlagSchema(Schema):
    id = fields.String(required=True)
    message = fields.String(required=True)
    cause_ids = fields.List(fields.String(), required=True)
    because = fields.List(fields.String(), required=True)
    references = fields.List(fields.String(), required=True)


class AlertSchema(FlagSchema):
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))


class UnrecognizedSchema(Schema):
    path = fields.String(required=True)
    input = fields.String(required=True)
    reason = fields.String(required=True)
    did_you_mean = fields.List(fields.String())


class KnowledgeBaseInfoSchema(Schema):
    version = fields.String(required=True)
    causes = fields.Integer(required=True)


class DifferentialSchema(Schema):
    request_id = fields.String(required=True)
    knowledge_base = fields.Nested(KnowledgeBaseInfoSchema, required=True)
    differential = fields.List(fields.Nested(CauseSchema), required=True)
    alerts = fields.List(fields.Nested(AlertSchema), required=True)
    pitfalls = fields.List(fields.Nested(FlagSchema), required=True)
    unrecognized = fields.List(fields.Nested(UnrecognizedSchema), required=True)
    understood = fields.List(fields.Nested(UnderstoodSchema))  # omitted when empty
    disclaimer = fields.String(required=True, dump_default=DISCLAIMER)


class RuleListingSchema(Schema):
    when = fields.String(required=True)
    likelihood_ratio = fields.Float(required=True)
    likelihood_ratio_if_false = fields.Float()
    reason = fields.String(required=True)
    reason_if_false = fields.String()
    group = fields.String()
    references = fields.List(fields.String(), required=True)


class DefinitionListingSchema(Schema):
    when = fields.String(required=True)
    criterion = fields.String(required=True)
    likelihood_ratio = fields.Float(required=True)
    references = fields.List(fields.String(), required=True)


class CauseListingSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True)
    urgency = fields.String(required=True)
    prior = fields.String(required=True)
    prior_probability = fields.Float(required=True)
    summary = fields.String(required=True)
    established = fields.List(fields.Nested(DefinitionListingSchema))
    evidence = fields.List(fields.Nested(RuleListingSchema), required=True)
    next_steps = fields.List(fields.String(), required=True)
    references = fields.List(fields.Nested(ReferenceSchema), required=True)


class FlagListingSchema(Schema):
    id = fields.String(required=True)
    severity = fields.String()
    when = fields.String(required=True)
    message = fields.String(required=True)
    cause_ids = fields.List(fields.String(), required=True)
    references = fields.List(fields.Nested(ReferenceSchema), required=True)


class KnowledgeBaseListingSchema(Schema):
    version = fields.String(required=True)
    causes = fields.List(fields.Nested(CauseListingSchema), required=True)
    pitfalls = fields.List(fields.Nested(FlagListingSchema), required=True)
    alerts = fields.List(fields.Nested(FlagListingSchema), required=True)

"""CDS Hooks 2.0 wire shapes: the hook request, feedback, discovery and the cards answered.

Requests are read tolerantly, as the specification asks: unknown fields, `extension`
objects and extra context fields pass; only what this service needs is required.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema, ValidationError, fields, validate, validates_schema

INDICATORS = ("info", "warning", "critical")
OUTCOMES = ("accepted", "overridden")
# A FHIR id (or Patient/id): it goes into FHIR query URLs, so nothing else may pass.
PATIENT_ID = r"^(Patient/)?[A-Za-z0-9\-.]{1,64}$"
MAX_FEEDBACK = 100

Text = lambda size=200, **kw: fields.String(validate=validate.Length(min=1, max=size), **kw)  # noqa: E731


class CodingSchema(Schema):
    """A CDS Hooks Coding: code and system, with a display for override reasons."""

    class Meta:
        unknown = EXCLUDE

    code = Text(required=True)
    system = Text(500)
    display = Text(500)


class FhirAuthorizationSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    access_token = Text(16384, required=True)
    token_type = fields.String()
    expires_in = fields.Integer()
    scope = fields.String()
    subject = fields.String()


class HookContextSchema(Schema):
    class Meta:
        unknown = INCLUDE  # userId, encounterId and whatever else a hook or vendor adds

    patientId = fields.String(required=True, validate=validate.Regexp(PATIENT_ID))


class HookRequestSchema(Schema):
    """POST /cds-services/{id}: only hook, hookInstance and context.patientId are required."""

    class Meta:
        unknown = EXCLUDE  # fields of later versions or vendors are not an error

    hook = Text(required=True)
    hookInstance = Text(required=True)
    # Read as a string, not a URL: a server given in an unusual form is judged when it is used.
    fhirServer = Text(2000)
    fhirAuthorization = fields.Nested(FhirAuthorizationSchema)
    context = fields.Nested(HookContextSchema, required=True)
    prefetch = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), allow_none=True)
    extension = fields.Raw()  # an object in 2.0; some clients send a list


class OverrideReasonSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    reason = fields.Nested(CodingSchema)
    userComment = fields.String(validate=validate.Length(max=5000))


class AcceptedSuggestionSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = Text(required=True)


class FeedbackItemSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    card = Text(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    acceptedSuggestions = fields.List(fields.Nested(AcceptedSuggestionSchema))
    overrideReason = fields.Nested(OverrideReasonSchema)
    outcomeTimestamp = fields.DateTime(required=True)

    @validates_schema
    def _reason_only_when_overridden(self, data: dict[str, Any], **_: Any) -> None:
        if "overrideReason" in data and data.get("outcome") != "overridden":
            raise ValidationError("an override reason goes with the outcome 'overridden'", "overrideReason")


class FeedbackSchema(Schema):
    """POST /cds-services/{id}/feedback."""

    class Meta:
        unknown = EXCLUDE

    feedback = fields.List(
        fields.Nested(FeedbackItemSchema), required=True, validate=validate.Length(min=1, max=MAX_FEEDBACK)
    )


class FeedbackAnswerSchema(Schema):
    received = fields.Integer(required=True)


class ServiceSchema(Schema):
    hook = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    id = fields.String(required=True)
    prefetch = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class DiscoverySchema(Schema):
    services = fields.List(fields.Nested(ServiceSchema), required=True)


class TopicSchema(Schema):
    system = fields.String(required=True)
    code = fields.String(required=True)
    display = fields.String()


class SourceSchema(Schema):
    label = fields.String(required=True)
    url = fields.String()
    topic = fields.Nested(TopicSchema)


class LinkSchema(Schema):
    label = fields.String(required=True)
    url = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(("absolute", "smart")))


class CardSchema(Schema):
    uuid = fields.String(required=True)
    summary = fields.String(required=True, validate=validate.Length(min=1, max=139))
    indicator = fields.String(required=True, validate=validate.OneOf(INDICATORS))
    detail = fields.String()
    source = fields.Nested(SourceSchema, required=True)
    overrideReasons = fields.List(fields.Nested(CodingSchema))
    links = fields.List(fields.Nested(LinkSchema))


class CardsSchema(Schema):
    """The hook's answer; `extension` (reserved by the specification) lists what was not understood."""

    cards = fields.List(fields.Nested(CardSchema), required=True)
    extension = fields.Dict(keys=fields.String(), values=fields.Raw())

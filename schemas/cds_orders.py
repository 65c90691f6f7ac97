"""CDS Hooks order-select and order-sign: the context they read and the cards with suggestions they answer."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates

from .cds_hooks import PATIENT_ID, CardSchema, Text

# A relative FHIR reference: what selections name and a delete action's resourceId holds.
REFERENCE = r"^[A-Z][A-Za-z]{1,63}/[A-Za-z0-9\-.]{1,64}$"
MAX_SELECTIONS = 100


class DraftOrdersMixin:
    @validates("draftOrders")
    def _bundle(self, value: Any, **_: Any) -> None:
        if value.get("resourceType") != "Bundle":
            raise ValidationError("must be a FHIR Bundle (resourceType Bundle) of draft orders")
        if not isinstance(value.get("entry", []), list):
            raise ValidationError("entry must be an array of Bundle entries")


class OrderSignContextSchema(DraftOrdersMixin, Schema):
    """order-sign's context: the patient and the draft orders about to be signed."""

    class Meta:
        unknown = INCLUDE  # userId, encounterId and whatever a vendor adds

    patientId = fields.String(required=True, validate=validate.Regexp(PATIENT_ID))
    draftOrders = fields.Dict(required=True)


class OrderSelectContextSchema(OrderSignContextSchema):
    """order-select's context adds the selections: the orders just chosen, which the cards are about."""

    selections = fields.List(
        fields.String(validate=validate.Regexp(REFERENCE)),
        required=True,
        validate=validate.Length(min=1, max=MAX_SELECTIONS),
    )


class ActionSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(("create", "update", "delete")))
    description = Text(500, required=True)
    resource = fields.Dict()
    resourceId = fields.String(validate=validate.Regexp(REFERENCE))


class SuggestionSchema(Schema):
    label = Text(200, required=True)
    uuid = fields.String(required=True)
    isRecommended = fields.Boolean()
    actions = fields.List(fields.Nested(ActionSchema), required=True, validate=validate.Length(min=1))


class OrderCardSchema(CardSchema):
    suggestions = fields.List(fields.Nested(SuggestionSchema))
    selectionBehavior = fields.String(validate=validate.OneOf(("at-most-one", "any")))


class OrderCardsSchema(Schema):
    cards = fields.List(fields.Nested(OrderCardSchema), required=True)
    extension = fields.Dict(keys=fields.String(), values=fields.Raw())

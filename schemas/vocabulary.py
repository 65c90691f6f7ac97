"""What GET /v1/vocabulary answers: the names and codes a client can send."""

from __future__ import annotations

from marshmallow import Schema, fields


class CodeSchema(Schema):
    system = fields.String(required=True)
    code = fields.String(required=True)


class ProductSchema(CodeSchema):
    display = fields.String(required=True)


class ConceptSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    codes = fields.List(fields.Nested(CodeSchema), required=True)


class IngredientSchema(ConceptSchema):
    brands = fields.List(fields.String(), required=True)
    classes = fields.List(fields.String(), required=True)
    products = fields.List(fields.Nested(ProductSchema), required=True)


class MedicationVocabularySchema(Schema):
    ingredients = fields.List(fields.Nested(IngredientSchema), required=True)
    classes = fields.List(fields.Nested(ConceptSchema), required=True)


class RangeSchema(Schema):
    low = fields.Float()
    high = fields.Float()


class LabSchema(ConceptSchema):
    unit = fields.String(required=True)
    synonyms = fields.List(fields.String(), required=True)
    units = fields.List(fields.String(), required=True)
    reference_range = fields.Nested(RangeSchema)
    reference_range_by_sex = fields.Dict(keys=fields.String(), values=fields.Nested(RangeSchema))


class VocabularySchema(Schema):
    version = fields.String(required=True)
    findings = fields.List(fields.Nested(ConceptSchema), required=True)
    conditions = fields.List(fields.Nested(ConceptSchema), required=True)
    medications = fields.Nested(MedicationVocabularySchema, required=True)
    labs = fields.List(fields.Nested(LabSchema), required=True)

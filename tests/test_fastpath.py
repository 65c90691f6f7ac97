"""The fast validation path and marshmallow agree on every context, valid or not."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from spasmdx.schemas import fastpath
from spasmdx.schemas.request import ContextSchema

SCHEMA = ContextSchema()

text = st.one_of(st.text(max_size=8), st.sampled_from(["muscle cramp", "atorvastatin 20 mg", "CK", "", "x" * 501]))
number = st.one_of(
    st.integers(-5, 2_000_000_000), st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["12", True, None])
)
day = st.sampled_from(["2026-08-15", "2026-02-30", "2026-8-5", "20260815", "2026-08-15T10:00:00", 5, None])
code = st.one_of(
    st.fixed_dictionaries({"system": text, "code": text}), st.fixed_dictionaries({"system": text}), st.just("G35")
)
optional = lambda **fields: st.fixed_dictionaries({}, optional=fields)  # noqa: E731
clinical = optional(
    code=code,
    display=text,
    present=st.one_of(st.booleans(), st.sampled_from(["yes", 1, None])),
    body_site=text,
    onset_date=day,
    colour=text,
)
medication = optional(
    code=code,
    display=text,
    start_date=day,
    end_date=day,
    status=st.sampled_from(["active", "stopped", "completed", "taking", "on-hold", ""]),
)
lab = optional(
    code=code,
    display=text,
    value=number,
    unit=st.one_of(text, st.just("mg/dL")),
    reference_range=st.one_of(optional(low=number, high=number), st.just("1-2")),
)
section = lambda item: st.one_of(st.lists(st.one_of(text, item), max_size=4), st.just("cramp"), st.none())  # noqa: E731
context = st.one_of(
    optional(
        patient=st.one_of(
            optional(
                age=number,
                sex=st.sampled_from(["female", "male", "x", ""]),
                pregnant=st.one_of(st.booleans(), st.just("no")),
            ),
            st.just([]),
        ),
        findings=section(clinical),
        conditions=section(clinical),
        medications=section(medication),
        labs=section(lab),
        extra=text,
    ),
    st.sampled_from([[], "text", None, 3]),
)


def outcome(load, data):
    try:
        return "ok", load(data)
    except ValidationError as error:
        return "error", error.messages


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(context)
def test_fast_path_returns_exactly_what_marshmallow_returns(data):
    assert outcome(fastpath.load_context, data) == outcome(SCHEMA.load, data)


def test_valid_contexts_take_the_fast_path(monkeypatch, kb):
    from conftest import VIGNETTES

    def refuse(*args, **kwargs):
        raise AssertionError("marshmallow was asked")

    monkeypatch.setattr(fastpath._context, "load", refuse)
    for line in VIGNETTES.read_text().splitlines():
        assert fastpath.load_context(json.loads(line)["context"])


words = st.text(alphabet="abcdefghij kl", min_size=1, max_size=20)
iso_day = st.dates().map(date_text := lambda d: d.isoformat())
valid_code = st.fixed_dictionaries(
    {
        "system": st.sampled_from(["http://snomed.info/sct", "http://loinc.org"]),
        "code": st.text(alphabet="0123456789-", min_size=1, max_size=8),
    }
)
valid_clinical = st.fixed_dictionaries(
    {"display": words},
    optional={"code": valid_code, "present": st.booleans(), "body_site": words, "onset_date": iso_day},
)
valid_medication = st.fixed_dictionaries(
    {"display": words},
    optional={
        "status": st.sampled_from(["active", "stopped", "completed", "on-hold", "unknown"]),
        "start_date": iso_day,
    },
)
amount = st.one_of(st.integers(0, 10_000), st.floats(0, 10_000))
valid_lab = st.fixed_dictionaries(
    {"display": words, "value": amount},
    optional={
        "unit": st.sampled_from(["mg/dL", "mmol/L", "U/L"]),
        "reference_range": st.one_of(
            st.fixed_dictionaries({"high": amount}),
            st.tuples(amount, amount).map(lambda p: {"low": min(p), "high": max(p)}),
        ),
    },
)
valid_context = st.fixed_dictionaries(
    {},
    optional={
        "patient": st.fixed_dictionaries(
            {},
            optional={
                "age": st.integers(0, 130),
                "sex": st.sampled_from(["female", "male"]),
                "pregnant": st.booleans(),
            },
        ),
        "findings": st.lists(st.one_of(words, valid_clinical), max_size=4),
        "medications": st.lists(st.one_of(words, valid_medication), max_size=3),
        "labs": st.lists(valid_lab, max_size=3),
    },
)


@settings(max_examples=300, deadline=None)
@given(valid_context)
def test_valid_contexts_load_identically_on_both_paths(data):
    assert fastpath.load_context(data) == SCHEMA.load(data)

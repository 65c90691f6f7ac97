"""The FHIR server URL policy: URLs compared by their normalised parts, addresses checked after resolving."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spasmdx.service.fhir_origin import Origin, OriginRefused, allow_list, allowed, check_address, parse

pytestmark = pytest.mark.security
EHR = allow_list(["https://ehr.example.org/fhir/r4", "http://127.0.0.1:8080/fhir"])


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://EHR.Example.org:443/fhir/r4/", Origin("https", "ehr.example.org", 443, "/fhir/r4")),
        ("https://ehr.example.org./fhir/%72%34", Origin("https", "ehr.example.org", 443, "/fhir/r4")),
        ("https://ehr.example.org/fhir/./r4/x/..", Origin("https", "ehr.example.org", 443, "/fhir/r4")),
        ("http://[::1]:8080/fhir", Origin("http", "::1", 8080, "/fhir")),
        ("https://ehr.example.org/fhir/a%20b", Origin("https", "ehr.example.org", 443, "/fhir/a%20b")),
    ],
)
def test_a_url_is_put_in_one_canonical_form(url, expected):
    assert parse(url)[0] == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://[fe80::1%25eth0]:8080/fhir",
        "http://[::1/fhir",
        "http://[127.0.0.1]/fhir",
        "https:///fhir",
        "https://ehr_example.org/fhir",
        "https://-ehr.example.org/fhir",
        "https://ehr.example.org:https/fhir",
        "javascript://ehr.example.org/fhir",
    ],
)
def test_a_url_that_is_no_plain_http_base_is_refused(url):
    with pytest.raises(OriginRefused):
        parse(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://ehr.example.org/fhir/r4x",  # a longer name is not a path under the prefix
        "https://ehr.example.org/fhir",  # nor is the parent
        "https://ehr.example.org:8443/fhir/r4",
        "http://ehr.example.org/fhir/r4",
        "https://ehr.example.org.evil.example/fhir/r4",
        "https://ehr.example.org/fhir/r4/../../admin",
        "http://127.0.0.1:8081/fhir",
        "http://localhost:8080/fhir",  # the same machine by another name is another origin
        "http://[::1]:8080/fhir",
        "http://127.0.0.1:8080/fhir%2fr4",
        "http://127.0.0.1:8080/fhir\t",
        "http://127.0.0.1:8080/fhir/ü",
    ],
)
def test_only_urls_under_an_allowed_prefix_pass(url):
    with pytest.raises(OriginRefused):
        allowed(url, EHR)


@pytest.mark.parametrize(
    "url",
    ["https://ehr.example.org/fhir/r4", "https://ehr.example.org:443/fhir/r4/Patient", "http://127.0.0.1:8080/fhir/"],
)
def test_urls_under_an_allowed_prefix_pass(url):
    assert allowed(url, EHR)


@pytest.mark.parametrize(
    "address, entry",
    [
        ("169.254.169.254", "https://ehr.example.org/fhir"),
        ("fe80::1%eth0", "https://ehr.example.org/fhir"),
        ("fd00:ec2::254", "https://ehr.example.org/fhir"),
        ("100.100.100.200", "https://ehr.example.org/fhir"),
        ("::ffff:169.254.169.254", "https://ehr.example.org/fhir"),
        ("0.0.0.0", "https://ehr.example.org/fhir"),
        ("127.0.0.1", "https://ehr.example.org/fhir"),
        ("::1", "https://ehr.example.org/fhir"),
        ("169.254.169.254", "http://localhost:8080/fhir"),  # loopback entries still never reach metadata
    ],
)
def test_addresses_a_host_must_not_resolve_to(address, entry):
    with pytest.raises(OriginRefused):
        check_address(address, allow_list([entry])[0])


@pytest.mark.parametrize(
    "address, entry",
    [("10.1.2.3", "https://ehr.example.org/fhir"), ("127.0.0.1", "http://localhost:8080/fhir")],
)
def test_addresses_a_host_may_resolve_to(address, entry):
    check_address(address, allow_list([entry])[0])


URLISH = st.text(alphabet="abcdefhptx019:/.%2eEfF[]@?#-_~\\ ", max_size=40)


@given(st.sampled_from(["http://", "https://", "HTTPS://", ""]).flatmap(lambda scheme: URLISH.map(scheme.__add__)))
@settings(max_examples=400, deadline=None)
def test_any_string_is_parsed_or_refused_and_a_canonical_form_parses_to_itself(url):
    try:
        origin, _ = parse(url)
    except OriginRefused:
        return
    assert parse(origin.url)[0] == origin
    assert not {".", ".."} & set(origin.path.split("/"))

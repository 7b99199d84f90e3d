"""The OpenAPI document per catalogue: date patterns that match exactly the days of a span, and per
product a request schema that the service's answers agree with (fits the schema <=> not refused)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from interpreter.openapi import date_pattern, digits_between

from cards import PLAN_CARD, card_engine, client_on


@pytest.mark.parametrize("low, high, width", [(0, 9, 1), (1, 31, 2), (10, 29, 2), (0, 100000, 6), (123, 987, 3),
                                               (2000, 2099, 4), (5, 5, 2)])
def test_digits_between_matches_exactly_the_numbers_of_the_range(low, high, width):
    pattern = re.compile(digits_between(low, high, width))
    assert [n for n in range(10 ** width) if pattern.fullmatch(f"{n:0{width}d}")] == list(range(low, high + 1))


@pytest.mark.parametrize("spans", [
    [(dt.date(2000, 1, 1), dt.date(2099, 12, 31))],
    [(dt.date(2016, 4, 1), dt.date(2099, 12, 31))],
    [(dt.date(2024, 1, 1), dt.date(2028, 12, 31))],
    [(dt.date(2016, 2, 29), dt.date(2016, 3, 1)), (dt.date(2020, 5, 17), dt.date(2021, 2, 3))],
])
def test_a_date_pattern_matches_exactly_the_days_of_its_spans(spans):
    pattern = re.compile(date_pattern(spans))
    day, end = dt.date(1999, 1, 1), dt.date(2101, 1, 1)
    while day < end:
        assert bool(pattern.fullmatch(day.isoformat())) == any(a <= day <= b for a, b in spans), day
        day += dt.timedelta(days=1)
    # days that do not exist: 2100 is not a leap year (divisible by 100, not by 400), 2000 is
    for text in ("2100-02-29", "2019-02-29", "2016-02-30", "2016-04-31", "2016-13-01", "2016-00-10", "2016-01-00",
                 "2016-1-01", " 2016-04-01", "2016-04-01\n", "２０１６-04-01"):
        assert not pattern.fullmatch(text), text


@pytest.fixture
def plan(tmp_path):
    """A service on one card whose only edition starts 2016-01-01 (cards.PLAN_CARD)."""
    return client_on(card_engine(tmp_path, PLAN_CARD).catalogue.root)


def request_validator(document: dict, code: str) -> Draft202012Validator:
    """The OpenAPI 3.1 document's schemas are JSON Schema 2020-12; refs resolve inside the document."""
    registry = Registry().with_resource("urn:doc", Resource.from_contents(document, default_specification=DRAFT202012))
    schema = {"$ref": f"urn:doc#/components/schemas/EvaluateRequest.{code}"}
    return Draft202012Validator(schema, registry=registry)


# Each body: does it fit EvaluateRequest.T-1, and the status the service gives. The edition of T-1 is
# valid from 2016-01-01 (cards.PLAN_CARD); its family declares no reference fact, so rules_on, the
# case's own rules_on or else as_of choose it (Engine.dates), and the service takes the years 2000-2099.
BODIES = [
    ({"facts": {"registered_on": "2016-04-01"}, "as_of": "2016-06-01"}, True, 200),
    ({"facts": {}, "as_of": "2015-12-31"}, False, 422),  # no edition on as_of
    ({"facts": {}, "as_of": "2015-12-31", "rules_on": "2016-01-01"}, True, 200),
    ({"facts": {"rules_on": "2016-01-01"}, "as_of": "2015-12-31"}, True, 200),
    ({"facts": {"rules_on": "2015-06-01"}, "as_of": "2016-06-01"}, False, 422),
    ({"facts": {}, "rules_on": "2015-06-01"}, False, 422),
    ({"facts": {}}, True, 200),  # today has an edition: it is open-ended
    ({"facts": {"price": 4000, "registered_on": None}, "as_of": "2016-06-01"}, True, 200),
    ({"facts": {"price": "4000.50"}, "as_of": "2016-06-01"}, True, 200),
    ({"facts": {"price": "€4000.50"}, "as_of": "2016-06-01"}, True, 200),
    ({"facts": {"price": -1}, "as_of": "2016-06-01"}, False, 422),  # minimum: 0 in facts.yaml
    ({"facts": {"price": " 4000"}, "as_of": "2016-06-01"}, False, 422),
    ({"facts": {"price": "€ 4000"}, "as_of": "2016-06-01"}, False, 422),
    ({"facts": {"price": "4000.00000000000"}, "as_of": "2016-06-01"}, False, 422),  # 11 decimals
    ({"facts": {"price": 10 ** 12}, "as_of": "2016-06-01"}, False, 422),
    ({"facts": {"price": 10 ** 12 - 1}, "as_of": "2016-06-01"}, True, 200),
    ({"facts": {"price": 4000.0}, "as_of": "2016-06-01"}, True, 200),  # a whole number, to JSON Schema too
    ({"facts": {"registered_on": "1999-12-31"}, "as_of": "2016-06-01"}, False, 422),
    ({"facts": {"registered_on": " 2016-04-01"}, "as_of": "2016-06-01"}, False, 422),
    ({"facts": {}, "as_of": " 2016-06-01"}, False, 422),
    ({"facts": {"phases": ["mediation", "mediation"]}, "as_of": "2016-06-01"}, True, 200),  # a set: once
    ({"facts": {"phases": ["mediation"] * 5}, "as_of": "2016-06-01"}, False, 422),  # longer than the choices
    ({"facts": {"success_rate": "100%"}, "as_of": "2016-06-01"}, True, 200),
    ({"facts": {"success_rate": "100.5%"}, "as_of": "2016-06-01"}, False, 422),
    ({"facts": {"hard_to_place": 1}, "as_of": "2016-06-01"}, False, 422),
    ({"facts": {"nonsense": 1}, "as_of": "2016-06-01"}, False, 422),
    ({"facts": {}, "as_of": "2016-06-01", "extra": 1}, False, 422),
]


@pytest.mark.parametrize("body, fits, status", BODIES)
def test_a_request_fits_the_products_schema_exactly_when_the_service_accepts_it(plan, body, fits, status):
    document = plan.get("/openapi.json").json()
    assert request_validator(document, "T-1").is_valid(body) == fits
    assert plan.post("/v1/products/T-1/evaluate", json=body).status_code == status


def test_a_fraction_as_a_json_number_is_refused_with_the_text_form_as_hint(plan):
    # "price": 4000.5 is a float to most JSON libraries; the contract writes fractions as text
    answer = plan.post("/v1/products/T-1/evaluate", content=b'{"facts": {"price": 4000.5}, "as_of": "2016-06-01"}',
                       headers={"content-type": "application/json"})
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/facts/price", "not-in-contract-form")
    assert '"4000.50"' in error["message"]


def test_every_product_has_its_paths_and_request_schema(plan):
    document = plan.get("/openapi.json").json()
    operation = document["paths"]["/v1/products/T-1/evaluate"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/EvaluateRequest.T-1"}
    assert all(parameter["name"] != "code" for parameter in operation.get("parameters", []))
    # the query dates that choose an edition say which days have one
    show = document["paths"]["/v1/products/T-1"]["get"]
    on = next(parameter for parameter in show["parameters"] if parameter["name"] == "on")
    assert re.fullmatch(on["schema"]["pattern"], "2016-01-01") and not re.fullmatch(on["schema"]["pattern"],
                                                                                     "2015-12-31")
    assert plan.get("/v1/products/T-1?on=2015-12-31").status_code == 422
    assert plan.get("/v1/products/T-1?on=2016-01-01").status_code == 200
    # the templated paths stay, for any other code: a 404
    assert "/v1/products/{code}/evaluate" in document["paths"]
    assert plan.post("/v1/products/T-2/evaluate", json={"facts": {}}).status_code == 404


@pytest.mark.parametrize("query, status", [("?explain=true", 200), ("?explain=false", 200), ("", 200),
                                           ("?explain=1", 422), ("?explain=yes", 422),
                                           ("?explain=true&explain=false", 422)])
def test_explain_is_the_documents_boolean(plan, query, status):
    answer = plan.post(f"/v1/products/T-1/evaluate{query}", json={"facts": {}, "as_of": "2016-06-01"})
    assert answer.status_code == status
    if status == 200:
        assert ("trace" in answer.json()) == (query == "?explain=true")
    else:
        assert answer.json()["errors"][0]["pointer"] == "/query/explain"


@pytest.mark.parametrize("within, status", [("0", 200), ("30", 200), ("3660", 200), ("3661", 422), ("-1", 422),
                                            ("+5", 422), (" 5", 422), ("5.5", 422), ("1e1", 422), ("", 422)])
def test_within_is_the_documents_integer(plan, within, status):
    document = plan.get("/openapi.json").json()
    parameter = next(parameter for parameter in document["paths"]["/v1/products/T-1/due"]["post"]["parameters"]
                     if parameter["name"] == "within")
    assert (parameter["schema"]["type"], parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == \
        ("integer", 0, 3660)
    answer = plan.post(f"/v1/products/T-1/due?within={within}&as_of=2016-05-01", content=b"",
                       headers={"content-type": "application/x-ndjson"})
    assert answer.status_code == status
    if status == 422:
        assert answer.json()["errors"][0]["pointer"] == "/query/within"


def test_a_product_without_an_edition_in_the_services_years_takes_no_request(tmp_path):
    # an edition of 1990-1995 only: no rules_on, reference date or as_of the service takes can choose it
    card = PLAN_CARD.replace("valid_from: 2016-01-01", "valid_from: 1990-01-01\n  valid_until: 1995-12-31")
    client = client_on(card_engine(tmp_path, card).catalogue.root)
    validator = request_validator(client.get("/openapi.json").json(), "T-1")
    for body in ({"facts": {}}, {"facts": {}, "rules_on": ""}, {"facts": {}, "as_of": "2016-06-01"}):
        assert not validator.is_valid(body)
        assert client.post("/v1/products/T-1/evaluate", json=body).status_code == 422

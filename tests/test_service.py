"""The HTTP service through FastAPI's TestClient: each endpoint, each class of error, the receipt, the limits."""
from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from jsonschema import Draft7Validator

from interpreter.live import LiveCatalogue
from interpreter.policy.jsonschema import result_schema
from interpreter.results import to_json

from cards import FIXTURE, QUOTED_PLAN_CARD, card_engine, client_on, service_client

RESULT = Draft7Validator(result_schema())
PROBLEM = "application/problem+json"
NDJSON = {"content-type": "application/x-ndjson"}

# A card of our own (cards.QUOTED_PLAN_CARD): the expectations are computed from the sentences it quotes.
CARD = QUOTED_PLAN_CARD


@pytest.fixture
def small(tmp_path):
    """A client of a service on a one-card catalogue (T-1)."""
    return client_on(card_engine(tmp_path, CARD).catalogue.root)


def problem_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


def pointers(body: dict) -> list[str]:
    return sorted(entry["pointer"] for entry in body["errors"])


# -- the endpoints ---------------------------------------------------------------------------------

def test_evaluate_gives_the_contract_result_computed_from_the_card(small):
    response = small.post("/v1/products/T-1/evaluate", json={
        "facts": {"registered_on": "2016-04-01", "price": "1000.00", "plan_approved_on": "2016-05-02"},
        "as_of": "2016-06-01"})
    assert response.status_code == 200, response.text
    out = response.json()
    assert list(RESULT.iter_errors(out)) == []
    plan = out["deadlines"][0]
    # 2016-04-01 + 56 days = 2016-05-27; as of 2016-06-01 and nothing submitted: overdue
    assert (plan["date"], plan["status"]) == ("2016-05-27", "overdue")
    first, second = out["payments"]
    # 60% and 40% of € 1000.00; the plan was approved before as_of, the return to work is not known
    assert (first["amount"], first["status"]) == ("600.00", "due")
    assert (second["amount"], second["status"], second["missing"]) == ("400.00", "pending", ["work_resumed_on"])
    assert out["receipt"]["catalogue_hash"] == response.headers["catalogue-hash"]
    assert out["receipt"]["engine"] == response.headers["engine-version"]


def test_the_two_dates_come_back_as_given(small):
    out = small.post("/v1/products/T-1/evaluate", json={"facts": {"registered_on": "2016-04-01"},
                                                        "as_of": "2016-05-01", "rules_on": "2016-02-01"}).json()
    assert (out["as_of"], out["rules_on"]) == ("2016-05-01", "2016-02-01")
    assert out["deadlines"][0]["status"] == "open"  # due 2016-05-27, judged on 2016-05-01


def test_evaluate_is_what_the_python_api_gives(small):
    facts = {"registered_on": "2016-04-01", "price": 1000}
    engine = small.app.state.live.engine
    want = to_json(engine.evaluate("T-1", facts, as_of=dt.date(2016, 4, 2)))
    got = small.post("/v1/products/T-1/evaluate", json={"facts": facts, "as_of": "2016-04-02"}).json()
    assert got == want


def test_sources_are_titled_by_the_documents_of_catalogue_yaml(fixture_client):
    # catalogue.yaml `documents:` gives each source file its title; the listing, one product's card
    # and rules, and a result all give that title in the one source shape.
    import yaml

    titles = yaml.safe_load((FIXTURE / "catalogue.yaml").read_text(encoding="utf-8"))["documents"]
    listed = fixture_client.get("/v1/products").json()["products"]
    detail = fixture_client.get("/v1/products/U-XR").json()
    result = fixture_client.post("/v1/products/U-XR/evaluate?explain=true",
                                 json={"facts": {"registered_on": "2016-04-01"}, "as_of": "2016-04-02"}).json()
    sources = [product["source"] for product in listed] + [detail["source"]]
    sources += [rule["source"] for rule in detail["rules"] if rule["source"]]
    sources += [item["source"] for key in ("deadlines", "payments", "reports", "checks") for item in result[key]]
    sources += [entry["source"] for entry in result["trace"] if "source" in entry]
    assert len(sources) > len(listed) + len(detail["rules"])
    for source in sources:
        assert set(source) == {"document", "title", "section", "quote"}
        assert source["title"] == titles[source["document"]], source
    assert {source["document"] for source in sources[:len(listed)]} == set(titles)  # all three documents cited


def test_explain_adds_the_trace_with_card_positions(small):
    out = small.post("/v1/products/T-1/evaluate?explain=true",
                     json={"facts": {"registered_on": "2016-04-01"}, "as_of": "2016-04-01"}).json()
    entry = next(e for e in out["trace"] if e["rule"] == "plan_due")
    assert entry["location"].endswith("T-1.yaml:12:10")  # CARD_HEAD is 7 lines; `due:` is line 12 and entry["value"] == "2016-05-27"
    assert "trace" not in small.post("/v1/products/T-1/evaluate", json={"facts": {}}).json()


def test_products_facts_and_one_product(fixture_client):
    listed = fixture_client.get("/v1/products").json()
    assert [p["code"] for p in listed["products"]] == list(fixture_client.app.state.live.engine.catalogue.products)
    assert listed["receipt"]["catalogue_hash"]
    twelve = next(p for p in listed["products"] if p["code"] == "U-XR")
    assert twelve["editions"][0]["valid_from"] and twelve["source"]["document"].endswith(".txt")
    # on a date before every dated edition, only products whose source gives no dates at all are listed
    early = fixture_client.get("/v1/products?on=2000-01-01").json()["products"]
    catalogue = fixture_client.app.state.live.engine.catalogue
    assert [p["code"] for p in early] == [code for code, editions in catalogue.products.items()
                                          if any(e.valid_from is None for e in editions)]
    assert all(e["valid_from"] is None for p in early for e in p["editions"])
    facts = fixture_client.get("/v1/facts").json()["facts"]
    by_name = {fact["name"]: fact for fact in facts}
    assert by_name["registered_on"]["type"] == "date" and by_name["price"]["type"] == "money"
    assert by_name["phases"]["type"] == "list of choices" and by_name["phases"]["choices"]
    detail = fixture_client.get("/v1/products/U-XR").json()
    rule_ids = {rule["id"] for rule in detail["rules"]}
    assert "plan_due" in rule_ids
    for fact in detail["facts"]:
        assert fact["required_by"] and set(fact["required_by"]) <= rule_ids
    assert "registered_on" in {fact["name"] for fact in detail["facts"]}
    assert all({"id", "text", "applies_to"} <= set(a) for a in detail["assumptions"])


def test_product_detail_names_the_rules_that_need_each_fact(small):
    detail = small.get("/v1/products/T-1").json()
    needs = {fact["name"]: fact["required_by"] for fact in detail["facts"]}
    assert needs == {"registered_on": ["plan_due"], "plan_submitted_on": ["plan_due"], "price": ["first", "second"],
                     "plan_approved_on": ["first"], "work_resumed_on": ["second"]}
    first = next(rule for rule in detail["rules"] if rule["id"] == "first")
    assert first["kind"] == "payments" and first["source"]["quote"].startswith("60% bij akkoord")


def test_sheet_by_suffix_and_by_accept(fixture_client):
    html = fixture_client.get("/v1/products/U-XR/sheet.html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "<style>" in html.text and "U-XR" in html.text
    md = fixture_client.get("/v1/products/U-XR/sheet", headers={"accept": "text/markdown"})
    assert md.headers["content-type"].startswith("text/markdown") and md.text.startswith("# U-XR")
    assert fixture_client.get("/v1/products/U-XR/sheet.md").text == md.text
    problem_of(fixture_client.get("/v1/products/U-XR/sheet", headers={"accept": "application/pdf"}), 406)


def test_batch_streams_a_result_or_a_problem_per_line_in_order(small):
    body = ('{"id": "a", "registered_on": "2016-04-01"}\n'
            "\n"
            '{"id": "b", "price": "abc", "registred_on": "2016-04-01"}\n'
            "not json\n"
            '{"id": "c", "registered_on": "2016-04-01", "plan_submitted_on": "2016-05-20"}')
    response = small.post("/v1/products/T-1/batch?as_of=2016-06-01", content=body, headers=NDJSON)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert [(row["row"], row["id"]) for row in rows] == [(1, "a"), (2, "b"), (3, None), (4, "c")]
    assert rows[0]["deadlines"][0]["status"] == "overdue"  # due 2016-05-27, as of 2016-06-01
    assert rows[3]["deadlines"][0]["status"] == "met"      # submitted 2016-05-20
    bad = rows[1]
    assert bad["status"] == 422 and bad["line"] == 3
    assert sorted(e["pointer"] for e in bad["errors"]) == ["/price", "/registred_on"]  # both problems at once
    assert "did you mean 'registered_on'" in json.dumps(bad)
    assert rows[2]["status"] == 400 and rows[2]["type"].endswith(":malformed-json") and rows[2]["line"] == 4
    for row in (rows[0], rows[3]):
        assert list(RESULT.iter_errors(row)) == []


def test_batch_refuses_an_over_long_line_and_goes_on(small):
    long_line = '{"id": "x", "registered_on": "' + "9" * 200 + '"}'
    body = long_line + '\n{"id": "y", "registered_on": "2016-04-01"}\n'
    client = service_client(small.app.state.live, max_line=100)
    rows = [json.loads(line) for line in client.post("/v1/products/T-1/batch", content=body,
                                                     headers=NDJSON).text.splitlines()]
    assert "longer than 100 bytes" in rows[0]["detail"] and rows[0]["line"] == 1
    assert rows[1]["id"] == "y" and rows[1]["deadlines"][0]["date"] == "2016-05-27"


def test_due_gives_the_signalling_list(small):
    body = ('{"id": "a", "registered_on": "2016-04-01"}\n'
            '{"id": "b", "registered_on": "2016-04-01", "plan_submitted_on": "2016-05-20"}\n')
    # as of 2016-05-01, within 30 days (to 2016-05-31): a's plan (due 2016-05-27) is open; b's is met
    response = small.post("/v1/products/T-1/due?within=30&as_of=2016-05-01", content=body, headers=NDJSON)
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert [(row["id"], row["deadline"], row["date"], row["days_left"]) for row in rows] == \
        [("a", "plan_due", "2016-05-27", 26)]
    assert rows[0]["source"]["section"] == "§2"
    # within 20 days (to 2016-05-21) nothing falls due
    assert small.post("/v1/products/T-1/due?within=20&as_of=2016-05-01", content=body, headers=NDJSON).text == ""


def test_health_and_readiness(small):
    assert small.get("/healthz").json()["status"] == "ok"
    ready = small.get("/readyz").json()
    assert ready["status"] == "ready" and ready["catalogue_hash"] == small.app.state.live.engine.catalogue.hash
    assert ready["last_reload_error"] is None and ready["loaded_at"]


def test_docs_assets_are_served_by_the_service_itself(fixture_client):
    page = fixture_client.get("/docs").text
    assert "cdn" not in page.lower() and "/docs-assets/swagger-ui-bundle.js" in page
    assert fixture_client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    redoc = fixture_client.get("/redoc").text
    assert "/docs-assets/redoc.standalone.js" in redoc and "fonts.googleapis" not in redoc
    assert fixture_client.get("/docs-assets/redoc.standalone.js").status_code == 200


def test_openapi_references_the_result_contract(fixture_client):
    document = fixture_client.get("/openapi.json").json()
    evaluate = document["paths"]["/v1/products/{code}/evaluate"]["post"]
    assert evaluate["responses"]["200"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/Result"}
    assert evaluate["responses"]["422"]["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
    schemas = document["components"]["schemas"]
    assert schemas["Result"]["properties"]["values"]["additionalProperties"] == {"$ref": "#/components/schemas/Value"}
    assert "registered_on" in schemas["Facts"]["properties"]
    # the same schema as the file catalogue schema writes, its $defs moved to components
    written = json.loads(json.dumps(result_schema()).replace("#/$defs/", "#/components/schemas/"))
    assert schemas["Result"]["properties"] == written["properties"]
    assert all(schemas[name] == definition for name, definition in written["$defs"].items())


# -- every class of error --------------------------------------------------------------------------

def test_400_malformed_json_with_line_and_column(small):
    body = problem_of(small.post("/v1/products/T-1/evaluate", content=b'{"facts": {"price": 1,}}',
                                 headers={"content-type": "application/json"}), 400)
    assert body["errors"][0]["line"] == 1 and body["errors"][0]["column"] == 23  # the '}' after the comma
    problem_of(small.post("/v1/products/T-1/evaluate", content=b'{"facts": {"price": NaN}}',
                          headers={"content-type": "application/json"}), 400)
    problem_of(small.post("/v1/products/T-1/evaluate", content=b'\xff\xfe',
                          headers={"content-type": "application/json"}), 400)


@pytest.mark.parametrize("depth", [64, 1000, 1020, 100_000])
@pytest.mark.parametrize("inner", ["", "1.5"])  # orjson reads the first; json with decimals the second
def test_400_for_nesting_deeper_than_the_limit_never_a_500(small, depth, inner):
    # limits.MAX_YAML_DEPTH (64) bounds JSON documents too; deeper values would exhaust the recursion of
    # whatever prints them in a message (orjson itself reads up to 1,024 levels)
    nested = "[" * depth + inner + "]" * depth
    body = problem_of(small.post("/v1/products/T-1/evaluate", content=f'{{"facts": {{}}, "as_of": {nested}}}',
                                 headers={"content-type": "application/json"}), 400)
    assert body["errors"][0]["code"] == "malformed-json"


def test_404_unknown_product_says_did_you_mean(small):
    body = problem_of(small.post("/v1/products/T-2/evaluate", json={"facts": {}}), 404)
    assert "did you mean 'T-1'" in body["detail"] and body["errors"][0]["pointer"] == "/path/code"
    problem_of(small.get("/v1/products/nothing"), 404)
    problem_of(small.get("/no/such/page"), 404)


def test_413_body_over_the_limit(small):
    client = service_client(small.app.state.live, max_body=2048)
    body = {"facts": {"registered_on": "2016-04-01"}, "as_of": "2016-04-01" + " " * 4096}
    problem_of(client.post("/v1/products/T-1/evaluate", content=json.dumps(body),
                           headers={"content-type": "application/json"}), 413)


def test_415_wrong_content_type(small):
    problem_of(small.post("/v1/products/T-1/evaluate", content=b"registered_on=2016-04-01",
                          headers={"content-type": "application/x-www-form-urlencoded"}), 415)
    problem_of(small.post("/v1/products/T-1/batch", json={"registered_on": "2016-04-01"}), 415)


def test_422_reports_every_problem_of_the_request_at_once(small):
    body = problem_of(small.post("/v1/products/T-1/evaluate", json={
        "facts": {"registered_on": "2016-02-30", "price": "a lot", "bogus": 1, "phases": "mediation"},
        "as_of": "01-04-2016", "colour": "blue"}), 422)
    assert pointers(body) == ["/as_of", "/colour", "/facts/bogus", "/facts/phases", "/facts/price",
                              "/facts/registered_on"]
    by_pointer = {entry["pointer"]: entry for entry in body["errors"]}
    assert "February 2016 has 29 days" in by_pointer["/facts/registered_on"]["message"]
    assert by_pointer["/facts/bogus"]["code"] == "unknown-fact"
    assert by_pointer["/facts/price"]["hint"]


def test_422_for_bodies_of_the_wrong_shape_and_bounds(small):
    assert pointers(problem_of(small.post("/v1/products/T-1/evaluate", json=[1, 2]), 422)) == [""]
    assert pointers(problem_of(small.post("/v1/products/T-1/evaluate", json={}), 422)) == ["/facts"]
    assert pointers(problem_of(small.post("/v1/products/T-1/evaluate", json={"facts": [1]}), 422)) == ["/facts"]
    assert pointers(problem_of(small.post("/v1/products/T-1/evaluate",
                                          json={"facts": {}, "as_of": "9999-01-01"}), 422)) == ["/as_of"]
    too_many = service_client(small.app.state.live, max_facts=2)
    body = problem_of(too_many.post("/v1/products/T-1/evaluate", json={"facts": {
        "registered_on": "2016-04-01", "price": 1, "plan_approved_on": "2016-04-02"}}), 422)
    assert body["errors"][0]["code"] == "too-many-facts"
    assert pointers(problem_of(small.post("/v1/products/T-1/due?within=-1", content="", headers=NDJSON), 422)) \
        == ["/query/within"]
    # no edition is valid before 2016-01-01; rules_on chooses the edition (T-1 has no family: by default as_of)
    assert pointers(problem_of(small.post("/v1/products/T-1/evaluate", json={
        "facts": {}, "as_of": "2016-06-01", "rules_on": "2015-12-31"}), 422)) == ["/rules_on"]
    assert pointers(problem_of(small.post("/v1/products/T-1/evaluate", json={
        "facts": {}, "as_of": "2015-12-31"}), 422)) == ["/as_of"]


@pytest.mark.parametrize("origin", [{}, {"origin": "https://cms.example.nl"}])  # the fast path; the whole way
def test_500_names_a_logged_incident_and_shows_no_traceback(small, monkeypatch, caplog, origin):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(small.app.state.live.engine, "evaluate", broken)
    with caplog.at_level(logging.ERROR, logger="catalogue.service"):
        body = problem_of(small.post("/v1/products/T-1/evaluate", json={"facts": {}}, headers=origin), 500)
    assert body["incident"] in body["detail"]
    assert "ZeroDivisionError" not in json.dumps(body)
    logged = [record for record in caplog.records if body["incident"] in record.getMessage()]
    assert logged and logged[0].exc_info[0] is ZeroDivisionError


def test_evaluate_answers_alike_on_the_fast_path_and_through_the_application(small):
    # A browser's request (it sends Origin) goes through routing and CORS; a server's takes the fast
    # path (EvaluateFastPath). Both give the same status, headers and body, problems included.
    allowed = service_client(small.app.state.live, cors_origins=("https://cms.example.nl",))
    requests = [("", {"facts": {"registered_on": "2016-04-01"}, "as_of": "2016-04-02"}),
                ("?explain=true", {"facts": {"registered_on": "2016-04-01"}, "as_of": "2016-04-02"}),
                ("", {"facts": {"price": "x", "nonsense": 1}}), ("?explain=1", {"facts": {}}),
                ("", {"facts": {}, "rules_on": "2015-12-31"})]
    for query, body in requests:
        fast = allowed.post(f"/v1/products/T-1/evaluate{query}", json=body)
        browser = allowed.post(f"/v1/products/T-1/evaluate{query}", json=body,
                               headers={"origin": "https://cms.example.nl"})
        assert (fast.status_code, fast.json()) == (browser.status_code, browser.json())
        for name in ("content-type", "catalogue-hash", "engine-version"):
            assert fast.headers[name] == browser.headers[name]
        assert browser.headers["access-control-allow-origin"] == "https://cms.example.nl"
        assert "access-control-allow-origin" not in fast.headers
    for content, kind in ((b"{", "application/json"), (b"{}", "text/plain")):  # 400 and 415
        fast = allowed.post("/v1/products/T-1/evaluate", content=content, headers={"content-type": kind})
        browser = allowed.post("/v1/products/T-1/evaluate", content=content,
                               headers={"content-type": kind, "origin": "https://cms.example.nl"})
        assert (fast.status_code, fast.json()) == (browser.status_code, browser.json())
        assert fast.headers["content-type"] == PROBLEM
    assert allowed.post("/v1/products/T-9/evaluate", json={"facts": {}}).status_code == 404
    assert allowed.get("/v1/products/T-1/evaluate").status_code == 405  # only POST takes the fast path
    assert allowed.post("/v1/products/evaluate", json={}).status_code == 405  # GET /v1/products/{code} only
    assert allowed.post("/v1/products//evaluate", json={}).status_code == 404


def test_every_response_carries_the_receipt(small):
    live = small.app.state.live
    for response in (small.get("/healthz"), small.get("/v1/facts"), small.get("/no/such/page"),
                     small.post("/v1/products/T-1/evaluate", json={"facts": {"price": "x"}}),
                     small.post("/v1/products/T-1/batch", content="{}\n", headers=NDJSON)):
        assert response.headers["catalogue-hash"] == live.engine.catalogue.hash
        assert response.headers["engine-version"] == live.engine.receipt["engine"]
        if response.headers["content-type"].startswith(("application/json", PROBLEM)) \
                and response.request.url.path != "/healthz":
            assert response.json()["receipt"] == live.engine.receipt


def test_cross_origin_calls_only_for_the_origins_given(small):
    headers = {"origin": "https://cms.example.nl", "access-control-request-method": "POST"}
    assert "access-control-allow-origin" not in small.options("/v1/products/T-1/evaluate", headers=headers).headers
    allowed = service_client(small.app.state.live, cors_origins=("https://cms.example.nl",))
    answer = allowed.options("/v1/products/T-1/evaluate", headers=headers)
    assert answer.headers["access-control-allow-origin"] == "https://cms.example.nl"
    other = allowed.options("/v1/products/T-1/evaluate", headers={**headers, "origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_the_default_host_is_loopback():
    import cli

    host = next(option for option in cli.serve.params if option.name == "host")
    assert host.default == "127.0.0.1"


def test_batch_takes_both_dates_and_refuses_a_rules_on_without_edition(small):
    body = '{"id": "a", "registered_on": "2016-04-01"}\n'
    rows = [json.loads(line) for line in small.post("/v1/products/T-1/batch?as_of=2016-05-01&rules_on=2016-02-01",
                                                    content=body, headers=NDJSON).text.splitlines()]
    assert (rows[0]["as_of"], rows[0]["rules_on"]) == ("2016-05-01", "2016-02-01")
    assert rows[0]["deadlines"][0]["status"] == "open"  # due 2016-05-27
    # T-1's only edition starts 2016-01-01
    body_problem = problem_of(small.post("/v1/products/T-1/batch?rules_on=2015-12-31", content=body,
                                         headers=NDJSON), 422)
    assert pointers(body_problem) == ["/query/rules_on"]
    # as_of alone decides no edition (T-1 has no family: each case's rules_on is its as_of), so such a
    # case becomes a problem line in place, and the stream goes on
    rows = [json.loads(line) for line in small.post("/v1/products/T-1/batch?as_of=2015-06-01", content=body + body,
                                                    headers=NDJSON).text.splitlines()]
    assert [(row["row"], row["status"]) for row in rows] == [(1, 422), (2, 422)]
    assert "no edition of T-1" in rows[0]["detail"]


def test_numbers_are_bounded_where_they_enter(small):
    body = problem_of(small.post("/v1/products/T-1/evaluate", content='{"facts": {"price": 1e999999, '
                                 '"registered_on": "2016-04-01"}}', headers={"content-type": "application/json"}), 422)
    # refused where it enters: by the case limits (interpreter/limits.py), else by the service's own bound
    assert [e["pointer"] for e in body["errors"]] == ["/facts/price"]
    assert body["errors"][0]["code"] in ("invalid-fact", "number-out-of-range")
    body = problem_of(small.post("/v1/products/T-1/evaluate", json={"facts": {"price": "0.0000000000001"}}), 422)
    assert body["errors"][0]["pointer"] == "/facts/price"
    body = problem_of(small.post("/v1/products/T-1/evaluate", json={"facts": {"registered_on": "9999-12-31"}}), 422)
    assert [(e["pointer"], e["code"]) for e in body["errors"]] == [("/facts/registered_on", "date-out-of-range")]
    ok = small.post("/v1/products/T-1/evaluate", json={"facts": {"price": "999999999999.99"}, "as_of": "2016-06-01"})
    # 999999999999.99 × 60% = 599999999999.994, to cents half up: 599999999999.99
    assert ok.status_code == 200 and ok.json()["payments"][0]["amount"] == "599999999999.99"


def test_a_batch_line_with_an_overflowing_amount_is_a_problem_and_the_stream_goes_on(small):
    body = ('{"id": "big", "registered_on": "2016-04-01", "price": 1e999999}\n'
            '{"id": "ok", "registered_on": "2016-04-01", "price": 1000}\n')
    rows = [json.loads(line) for line in small.post("/v1/products/T-1/batch?as_of=2016-06-01", content=body,
                                                    headers=NDJSON).text.splitlines()]
    assert (rows[0]["id"], rows[0]["status"], rows[0]["errors"][0]["pointer"]) == ("big", 422, "/price")
    assert rows[1]["payments"][0]["amount"] == "600.00"  # 60% of € 1000


def test_lines_split_across_chunks_and_a_long_line_refused_without_being_held():
    import asyncio

    from interpreter.service import _lines

    class Body:  # the request as the service sees it: its body in chunks as they arrive
        def __init__(self, chunks):
            self.chunks = chunks

        async def stream(self):
            for chunk in self.chunks:
                yield chunk

    async def collect(chunks, max_line):
        return [(number, line if isinstance(line, str) else line.message)
                async for number, line in _lines(Body(chunks), max_line)]

    chunks = [b'{"a": 1}\n{"b"', b': 2}\n' + b"x" * 30, b"y" * 30, b"z\n{\"c\": 3}"]
    assert asyncio.run(collect(chunks, 40)) == [
        (1, '{"a": 1}'), (2, '{"b": 2}'), (3, "the line is longer than 40 bytes"), (4, '{"c": 3}')]



def test_before_a_catalogue_is_loaded_every_problem_carries_the_same_receipt(tmp_path):
    from interpreter import __version__

    live = LiveCatalogue(card_engine(tmp_path, CARD).catalogue.root)  # not loaded yet
    client = service_client(live, cors_origins=("https://cms.example.nl",))
    answers = [client.get("/v1/facts"), client.post("/v1/products/T-1/evaluate", json={"facts": {}}),
               client.post("/v1/products/T-1/evaluate", json={"facts": {}}, headers={"origin": "https://cms.example.nl"})]
    for response in answers:
        assert response.status_code == 503 and response.json()["type"].endswith("not-ready")
        assert response.json()["receipt"] == {"engine": __version__, "catalogue_hash": ""}
        assert response.headers["engine-version"] == __version__ and response.headers["catalogue-hash"] == ""

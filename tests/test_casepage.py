"""The case page (interpreter/casepage.py) through FastAPI's TestClient: the form each product gets from the
facts it reads, a submitted case against the engine, and every kind of bad input shown next to its field."""
from __future__ import annotations

import datetime as dt
import html
import re
from html.parser import HTMLParser

import pytest

from interpreter.live import LiveCatalogue
from interpreter.results import to_json

from cards import QUOTED_PLAN_CARD, card_engine, client_on, service_client

# A card of our own, with a fact of every kind the form offers. The expectations are computed by hand
# from the sentences it quotes: the plan deadline and the split of cards.QUOTED_PLAN_CARD, and
# "Alleen voor klanten met een Wajong-uitkering." (a check on the benefit)
# "De oriëntatiefase hoort erbij, tenzij de klant zeer moeilijk plaatsbaar is." (a check on phases and a yes/no)
CARD = QUOTED_PLAN_CARD + """\
checks:
  wajong_only:
    label: Klant heeft een Wajong-uitkering
    test: benefit == Wajong
    message: Dit product is alleen voor klanten met een Wajong-uitkering.
    source: {section: "§4", quote: "Alleen voor klanten met een Wajong-uitkering."}
  with_orientation:
    label: Met oriëntatiefase
    test: orientation in phases or hard_to_place
    source: {section: "§5", quote: "De oriëntatiefase hoort erbij, tenzij de klant zeer moeilijk plaatsbaar is."}
"""
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def small(tmp_path):
    return client_on(card_engine(tmp_path, CARD).catalogue.root)


class FormReader(HTMLParser):
    """The inputs of a page's case form as a browser would send them, and the results the page shows."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, dict] = {}   # name -> {"type", "label", "choices", "value"}
        self.labels: dict[str, str] = {}    # input id -> label text
        self.pairs: list[tuple[str, str]] = []
        self.dates: dict[str, str] = {}     # result id -> datetime shown
        self.amounts: dict[str, str] = {}   # payment id -> value shown
        self.errors: dict[str, str] = {}    # field id -> message next to it
        self._label_for, self._select, self._row, self._error, self._text = None, None, None, None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self._label_for, self._text = a["for"], []
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            field = self.fields.setdefault(a["name"], {"type": kind, "id": a.get("id"), "choices": [],
                                                         "inputmode": a.get("inputmode")})
            if kind == "checkbox":
                field["choices"].append(a["value"])
                if "checked" in a:
                    self.pairs.append((a["name"], a["value"]))
            else:
                self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name") and a["name"] != "product":
            self._select = a["name"]
            self.fields[a["name"]] = {"type": "select", "id": a.get("id"), "choices": []}
        elif tag == "option" and self._select:
            self.fields[self._select]["choices"].append(a["value"])
            if "selected" in a:
                self.pairs.append((self._select, a["value"]))
        elif tag == "tr" and a.get("data-id"):
            self._row = (a["data-kind"], a["data-id"])
        elif tag == "time" and self._row and self._row[1] not in self.dates:
            self.dates[self._row[1]] = a["datetime"]
        elif tag == "data" and self._row:
            self.amounts[self._row[1]] = a["value"]
        elif tag == "p" and "error" in a.get("class", "") and a.get("id", "").endswith("-error"):
            self._error, self._text = a["id"][: -len("-error")], []

    def handle_endtag(self, tag):
        if tag == "label" and self._label_for:
            self.labels[self._label_for] = " ".join("".join(self._text).split())
            self._label_for = None
        elif tag == "select":
            self._select = None
        elif tag == "tr":
            self._row = None
        elif tag == "p" and self._error:
            self.errors[self._error] = " ".join("".join(self._text).split())
            self._error = None

    def handle_data(self, data):
        self._text.append(data)


def read(page: str) -> FormReader:
    reader = FormReader()
    reader.feed(page)
    return reader


def no_traceback(response) -> None:
    assert response.headers["content-type"].startswith("text/html"), response.text[:500]
    assert "Traceback" not in response.text and "<!DOCTYPE html>" in response.text


# -- the products and their forms ----------------------------------------------------------------

def test_the_start_page_lists_every_product_with_its_form_and_its_sheet(fixture_client):
    response = fixture_client.get("/")
    assert response.status_code == 200
    no_traceback(response)
    codes = [p["code"] for p in fixture_client.get("/v1/products").json()["products"]]
    assert len(codes) == 15
    for code in codes:
        assert f'href="/case/{code}"' in response.text
        assert f'href="/v1/products/{code}/sheet.html"' in response.text
    sheet = fixture_client.get("/v1/products/LN-3/sheet.html")
    assert sheet.status_code == 200 and "LN-3" in sheet.text


def test_the_product_chooser_works_without_javascript(fixture_client):
    response = fixture_client.get("/case?product=LN-3", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/case/LN-3"
    nothing = fixture_client.get("/case?product=", follow_redirects=False)  # the list's "kies een product"
    assert nothing.status_code == 303 and nothing.headers["location"] == "/"


def test_every_form_has_one_input_per_fact_the_api_says_the_product_reads(fixture_client):
    for product in fixture_client.get("/v1/products").json()["products"]:
        code = product["code"]
        facts = fixture_client.get(f"/v1/products/{code}").json()["facts"]
        page = fixture_client.get(f"/case/{code}")
        assert page.status_code == 200, code
        form = read(page.text)
        assert set(form.fields) == {f["name"] for f in facts} | {"as_of", "rules_on"}, code
        for fact in facts:
            field = form.fields[fact["name"]]
            if fact["type"] == "date":
                assert field["type"] == "date", (code, fact)
            elif fact["type"] in ("choice", "yes/no"):
                assert field["type"] == "select"
                wanted = [c["name"] for c in fact.get("choices", [])] or ["ja", "nee"]
                assert field["choices"] == ["", *wanted], (code, fact)  # "" : not known yet
            elif fact["type"] == "list of choices":
                assert field["type"] == "checkbox" and field["choices"] == [c["name"] for c in fact["choices"]]
            elif fact["type"] in ("money", "number", "percentage"):
                assert (field["type"], field["inputmode"]) == ("text", "decimal"), (code, fact)


def test_each_label_is_the_facts_dutch_phrase(small):
    form = read(small.get("/case/T-1").text)
    # facts.yaml: registered_on's phrase is "de aanmelding", price's "de prijs exclusief btw",
    # hard_to_place's "de klant onder het Protocol Zeer Moeilijk Plaatsbaar valt"
    assert form.labels["f-registered_on"] == "De aanmelding"
    assert form.labels["f-price"] == "De prijs exclusief btw"
    assert form.labels["f-hard_to_place"] == "Klopt het dat de klant onder het Protocol Zeer Moeilijk Plaatsbaar valt?"
    assert form.labels["f-benefit"] == "De uitkering"
    page = small.get("/case/T-1").text
    assert "<legend>De fasen van het traject</legend>" in page
    assert "Oriëntatiefase" in page and "Wajong-uitkering" in page  # choices by their Dutch labels


def test_the_rules_date_says_which_fact_it_defaults_to_by_the_family(fixture_client, small):
    # design.md: rules_on defaults to "the case's reference fact, declared per family in YAML", else
    # as_of; the hint under the field names that fact by its phrase in the vocabulary.
    catalogue = fixture_client.app.state.live.engine.catalogue
    declared = [catalogue.product(code) for code in catalogue.codes() if catalogue.product(code).reference_fact]
    assert declared
    for product in declared:
        phrase = catalogue.vocabulary.facts[product.reference_fact].phrase
        page = html.unescape(fixture_client.get(f"/case/{product.code}").text)
        assert f"datum; leeg: de datum van {phrase}" in page, product.code
    # A family without a reference fact: the rules of the day the status is judged on.
    assert small.app.state.live.engine.catalogue.product("T-1").reference_fact is None
    assert "datum; leeg: de peildatum" in small.get("/case/T-1").text


def test_an_unknown_product_gives_the_list_of_products(small):
    response = small.get("/case/NOPE")
    assert response.status_code == 404
    no_traceback(response)
    assert "Er is geen product met de code &#39;NOPE&#39;" in response.text and 'href="/case/T-1"' in response.text
    assert small.post("/case/NOPE", content="a=b", headers=FORM).status_code == 404
    hostile = small.get("/case/%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert hostile.status_code == 404 and "<img src=x" not in hostile.text and "&lt;img src=x" in hostile.text


def test_an_empty_form_is_a_case_with_nothing_known_yet(small):
    response = small.post("/case/T-1", data={"as_of": "2016-04-01"})
    assert response.status_code == 200
    shown = read(response.text)
    assert shown.dates == {} and shown.amounts == {}
    known_later = re.search(r'<p class="needs">Nog niet bekend: ([^<]*)\.</p>', response.text)
    assert known_later and "datum aanmelding" in known_later.group(1).split(", ")


# -- a submitted case ----------------------------------------------------------------------------

CASE = {"registered_on": "2016-04-01", "plan_submitted_on": "2016-05-20", "price": "1000,00",
        "plan_approved_on": "2016-05-02", "benefit": "WGA", "phases": ["orientation", "mediation"],
        "hard_to_place": "nee", "as_of": "2016-06-01"}


def test_a_submitted_case_shows_the_dates_and_amounts_of_the_card(small):
    response = small.post("/case/T-1", data=CASE)
    assert response.status_code == 200, response.text
    shown = read(response.text)
    # 2016-04-01 + 56 days = 2016-05-27; submitted on 2016-05-20: met
    assert shown.dates["plan_due"] == "2016-05-27"
    assert '<time datetime="2016-05-27">27 mei 2016</time>' in response.text
    assert "gehaald (op 20 mei 2016)" in response.text
    # 60% and 40% of € 1000,00 (a Dutch decimal comma); the first on the plan's approval
    assert shown.amounts == {"first": "600.00", "second": "400.00"}
    assert shown.dates["first"] == "2016-05-02"
    assert "€ 600" in response.text and "nodig: datum werkhervatting / plaatsing" in response.text
    # a WGA client fails "Alleen voor klanten met een Wajong-uitkering."; orientation is among the phases
    assert re.search(r'data-id="wajong_only".*?niet voldaan: Dit product is alleen voor klanten met een '
                     r'Wajong-uitkering\.', response.text, re.S)
    assert re.search(r'data-id="with_orientation".*?<td class="status">voldaan', response.text, re.S)
    # the values stay in the form, to change one and calculate again
    assert dict(shown.pairs)["registered_on"] == "2016-04-01" and dict(shown.pairs)["benefit"] == "WGA"


def test_each_result_shows_its_source_quote(small):
    page = small.post("/case/T-1", data=CASE).text
    for quote in ("Het plan moet binnen 56 kalenderdagen na aanmelding zijn ingediend.",
                  "60% bij akkoord plan, 40% bij werkhervatting.", "Alleen voor klanten met een Wajong-uitkering."):
        assert f"“{quote}”" in page


def test_the_page_shows_the_timeline_of_the_result(small):
    page = small.post("/case/T-1", data=CASE).text
    svg = re.search(r"<svg .*?</svg>", page, re.S)
    assert svg and 'class="timeline"' in svg.group(0)
    marks = re.findall(r'<g class="mark (\w+) status-(\w+)" data-date="([\d-]+)"', svg.group(0))
    assert ("deadline", "met", "2016-05-27") in marks
    assert ("payment", "due", "2016-05-02") in marks


def test_why_tells_the_trace_of_a_result_in_dutch(small):
    page = html.unescape(small.post("/case/T-1", data=CASE).text)
    row = page[page.index('data-id="plan_due"'):]
    why = row[row.index("<details"):row.index("</details>")]
    text = " ".join(re.sub(r"<[^>]+>", " ", why).split())
    # the due date: the fact from the case, then the step the card's expression takes with it
    assert "De aanmelding (gegeven van de zaak): 1 april 2016." in text
    assert "56 kalenderdagen na de aanmelding: 27 mei 2016." in text
    assert "Uitkomst (termijn): 27 mei 2016" in text
    assert "Het indienen van het Re-integratieplan (gegeven van de zaak): 20 mei 2016." in text
    assert "T-1.yaml:12:10" in text  # where the rule stands: CARD_HEAD is 7 lines, `due:` is line 12
    assert text.count("Het plan moet binnen 56 kalenderdagen") == 1  # its due and met_by parts share one quote
    payment = page[page.index('data-id="first"'):]
    text = " ".join(re.sub(r"<[^>]+>", " ", payment[:payment.index("</details>")]).split())
    assert "De prijs exclusief btw (gegeven van de zaak): € 1.000." in text


def test_the_page_gives_what_the_engine_gives_for_every_worked_example(fixture_client):
    """Filled in from the worked example (the form offers it), every product evaluates as the engine does."""
    engine = fixture_client.app.state.live.engine
    for code in engine.catalogue.products:
        product = engine.catalogue.product(code)
        if not product.example_facts:
            continue
        offered = fixture_client.get(f"/case/{code}?voorbeeld=1")
        assert offered.status_code == 200, (code, offered.text[-500:])
        form = read(offered.text)
        response = fixture_client.post(f"/case/{code}", content=_encoded(form.pairs), headers=FORM)
        assert response.status_code == 200, (code, read(response.text).errors)
        shown = read(response.text)
        want = to_json(engine.evaluate(code, product.example_facts, as_of=product.example_as_of,
                                       rules_on=product.example_rules_on, typed=True))
        assert {d["id"]: d["date"] for d in want["deadlines"] if d["date"]} == \
            {key: value for key, value in shown.dates.items() if key in {d["id"] for d in want["deadlines"]}}, code
        assert {p["id"]: p["amount"] for p in want["payments"] if p["amount"]} == shown.amounts, code


def _encoded(pairs) -> str:
    from urllib.parse import urlencode

    return urlencode(pairs)


# -- bad input, next to its field ----------------------------------------------------------------

@pytest.mark.parametrize("name, value, dutch, says", [
    ("registered_on", "2016-02-30", "Dit is geen geldige datum.", "February 2016 has 29 days"),
    ("registered_on", "0201-04-01", "Deze datum ligt buiten de jaren die de dienst aanneemt.",
     "outside the years this service accepts"),
    ("benefit", "Bijstand", "Dit is geen van de keuzes.", "'Bijstand' is not a valid benefit"),
    ("phases", "holiday", "Dit is geen van de keuzes.", "'holiday' is not a valid phase"),
    ("price", "12345678901234567890", "Dit is geen geldig bedrag.", "more than 15 digits"),
    ("price", "vierduizend", "Dit is geen geldig bedrag.", "'price' must be an amount of money"),
    ("price", "-5", "Dit is geen geldig bedrag.", "cannot be less than 0"),
    ("hard_to_place", "misschien", "'misschien' is geen ja of nee.", "kies ja of nee"),
    # refused unread: longer than any value of the domain
    ("price", "9" * 5000, "De waarde is 5.000 tekens lang; hier passen er hoogstens 100.", ""),
    ("as_of", "gisteren", "Dit is geen geldige datum.", "'gisteren' is not a date"),
    # T-1's only edition is valid from 2016-01-01
    ("rules_on", "2010-01-01", "Op deze dag geldt geen editie van dit product.", "2010-01-01"),
])
def test_a_wrong_value_is_shown_next_to_its_field_and_the_rest_is_kept(small, name, value, dutch, says):
    data = {**CASE, name: value}
    response = small.post("/case/T-1", data=data)
    assert response.status_code == 422
    no_traceback(response)
    form = read(response.text)
    assert list(form.errors) == [f"f-{name}"], form.errors
    message = html.unescape(form.errors[f"f-{name}"])
    assert message.startswith(dutch) and says in message, message
    assert 'id="uitkomst"' not in response.text  # no result from a refused case
    kept = dict(form.pairs)
    assert kept["registered_on"] == (value if name == "registered_on" else "2016-04-01")
    if name not in ("phases", "benefit", "hard_to_place") and len(value) <= 100:  # a choice list keeps its choices
        assert dict(form.pairs)[name] == value  # the wrong value is there to correct


def test_every_wrong_field_is_shown_at_once(small):
    response = small.post("/case/T-1", data={**CASE, "registered_on": "2016-13-01", "benefit": "X", "price": "€"})
    assert response.status_code == 422
    assert set(read(response.text).errors) == {"f-registered_on", "f-benefit", "f-price"}
    assert "3 velden bevatten een fout" in response.text


def test_input_is_never_reflected_unescaped(small):
    attack = '"><script>alert(1)</script>'
    response = small.post("/case/T-1", data={**CASE, "price": attack, "benefit": attack})
    assert response.status_code == 422
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)" in response.text or "&#34;&gt;&lt;script&gt;" in response.text


@pytest.mark.parametrize("body, status, says", [
    ("nonsense=1&registered_on=2016-04-01", 422, "Onbekend veld &#39;nonsense&#39;"),
    ("registered_on=2016-04-01&registered_on=2016-04-02", 422, "meer dan eens ingevuld"),
    ("&".join(f"phases=x{i}" for i in range(1000)), 422, "meer dan 400 velden"),
    (b"registered_on=%FF", 422, "niet als UTF-8"),
])
def test_a_hostile_form_gets_a_page_that_says_why(small, body, status, says):
    response = small.post("/case/T-1", content=body, headers=FORM)
    assert response.status_code == status
    no_traceback(response)
    assert says in response.text


def test_a_body_over_the_limit_is_refused_before_it_is_read(tmp_path):
    client = client_on(card_engine(tmp_path, CARD).catalogue.root, max_body=1000)
    response = client.post("/case/T-1", content="registered_on=" + "1" * 2000, headers=FORM)
    assert response.status_code == 413
    no_traceback(response)
    assert "groter dan 1.000 bytes" in response.text


def test_a_body_that_is_not_a_form_is_refused(small):
    response = small.post("/case/T-1", json={"registered_on": "2016-04-01"})
    assert response.status_code == 415
    no_traceback(response)
    assert "application/x-www-form-urlencoded" in response.text


# -- assets: all served here -----------------------------------------------------------------------

def test_every_asset_of_the_page_is_served_by_the_service(small):
    page = small.post("/case/T-1", data=CASE)
    references = re.findall(r'<(?:link|script|img)[^>]+(?:href|src)="([^"]+)"', page.text)
    assert references and all(ref.startswith("/") and not ref.startswith("//") for ref in references)
    for ref in references:
        asset = small.get(ref)
        assert asset.status_code == 200 and len(asset.content) > 100, ref
    assert small.get("/assets/casepage.css").headers["content-type"].startswith("text/css")
    assert small.get("/assets/casepage.js").headers["content-type"].startswith("text/javascript")
    assert small.get("/assets/../service.py").status_code == 404
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_the_json_api_is_unchanged_beside_the_page(small):
    out = small.post("/v1/products/T-1/evaluate", json={"facts": {"registered_on": "2016-04-01"},
                                                        "as_of": "2016-04-02"}).json()
    assert out["deadlines"][0]["date"] == "2016-05-27"
    assert small.get("/no-such-page").headers["content-type"].startswith("application/problem+json")
    assert dt.date.fromisoformat(out["as_of"]) == dt.date(2016, 4, 2)


def test_why_says_in_dutch_that_a_date_moved_to_the_next_working_day(tmp_path):
    # "Binnen één dag na aanmelding; valt die dag niet op een werkdag, dan de eerstvolgende werkdag."
    client = client_on(card_engine(tmp_path, """\
          valid_from: 2016-01-01
        deadlines:
          call_due:
            label: Klant gebeld
            due: registered_on + 1 day
            roll: next_working_day
        """).catalogue.root)
    page = client.post("/case/T-1", data={"registered_on": "2016-04-29", "as_of": "2016-04-29"})
    assert page.status_code == 200, page.text
    # Friday 29 April 2016 + 1 day = Saturday 30 April, a day off: Monday 2 May 2016
    assert read(page.text).dates["call_due"] == "2016-05-02"
    assert "30 april 2016 is geen werkdag (zaterdag): de datum schuift op naar 2 mei 2016." in page.text


def test_the_pages_templates_and_assets_know_no_product(engine):
    """Everything the page says about a product comes from the catalogue, none from its templates."""
    from interpreter.casepage import ASSETS, TEMPLATES

    words = {fact.label for fact in engine.catalogue.vocabulary.facts.values() if len(fact.label) > 6}
    for editions in engine.catalogue.products.values():
        for product in editions:
            words |= {product.code, " ".join(product.title.split())}
            words |= {" ".join(rule.label.split()) for rule in product.rules.values() if len(rule.label) > 6}
    files = [*TEMPLATES.iterdir(), *ASSETS.iterdir()]
    assert len(files) >= 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not sorted(word for word in words if word in text), path.name


def test_a_rule_without_a_quote_of_its_own_points_at_the_quotes_of_the_rules_it_uses(tmp_path):
    # "De prijs is ten hoogste € 5.000." quoted by the cap; the check on it cites only its section.
    client = client_on(card_engine(tmp_path, """\
          valid_from: 2016-01-01
        values:
          max_price:
            label: Maximumprijs
            value: €5000
            source: {section: "§6", quote: "De prijs is ten hoogste € 5.000."}
        checks:
          price_capped:
            label: Prijs niet boven het maximum
            test: price <= max_price
            source: {section: "§6 Prijs"}
        """).catalogue.root)
    page = html.unescape(client.post("/case/T-1", data={"price": "6000", "as_of": "2016-04-01"}).text)
    row = page[page.index('data-id="price_capped"'):page.index("</tr>", page.index('data-id="price_capped"'))]
    assert "None" not in row and "“" not in row.split("<details")[0]  # no empty quotation
    assert "§6 Prijs (de zin uit de bron staat bij de regels die dit gebruikt: zie Waarom?)" in row
    text = " ".join(re.sub(r"<[^>]+>", " ", row).split())
    # € 6.000 is more than € 5.000: not met; why shows the cap's own sentence
    assert "niet voldaan" in text
    assert "De prijs exclusief btw (gegeven van de zaak): € 6.000." in text
    assert "Maximumprijs (regel, zie hieronder): € 5.000." in text
    assert "Bron: §6 — “De prijs is ten hoogste € 5.000.”" in text


def test_a_problem_about_no_field_of_the_form_goes_to_the_top_of_the_page():
    from interpreter.casepage import Field, Problems, show_next_to_fields

    fields = [Field("registered_on", "De aanmelding", "date", "datum")]
    problems = Problems()
    problems.add("registered_on", "Dit is geen geldige datum.", "write dates as YYYY-MM-DD")
    problems.add("facts", "Te veel gegevens.", None)
    show_next_to_fields(problems, fields)
    assert (fields[0].error, fields[0].error_hint) == ("Dit is geen geldige datum.", "write dates as YYYY-MM-DD")
    assert list(problems.fields) == ["registered_on"] and problems.page == ["Te veel gegevens."]


def test_why_says_durations_in_dutch(tmp_path):
    # "Elke 3 maanden rapporteren, vanaf de start tot het einde." (reports every 3 months)
    client = client_on(card_engine(tmp_path, """\
          valid_from: 2016-01-01
        values:
          period:
            label: Rapportageperiode
            value: 3 months
        reports:
          progress:
            label: Voortgangsrapportage
            date: every period from started_on until ended_on
        """).catalogue.root)
    page = html.unescape(client.post("/case/T-1", data={"started_on": "2016-01-15", "ended_on": "2016-08-01",
                                                        "as_of": "2016-01-15"}).text)
    # 15 January + 3 months = 15 April, + 6 months = 15 July; 15 October is after the end
    assert re.findall(r'data-kind="report" data-id="progress".*?<time datetime="([\d-]+)"', page, re.S) == \
        ["2016-04-15", "2016-07-15"]
    assert "Rapportageperiode (regel, zie hieronder): 3 maanden." in page
    assert "3 months" not in page


# -- payment schedules and indications (issue 14) ---------------------------------------------------

# "Er wordt per kwartaal achteraf gefactureerd: uren maal uurtarief." (a schedule: every 3 months, in arrears)
# "Het traject duurt circa zes maanden." (an indication: a check on it never fails)
SCHEDULE_AND_CIRCA = """\
  valid_from: 2016-01-01
parameters:
  about_six_months:
    label: Looptijd van het traject
    value: circa 6 months
    source: {section: "§2", quote: "Het traject duurt circa zes maanden."}
values:
  about_end:
    label: Einde na circa zes maanden
    value: started_on + about_six_months
payments:
  coaching:
    label: Begeleiding per kwartaal, achteraf
    schedule: every 3 months from started_on until ended_on
    amount: intake_hours * price
    source: {section: "§3", quote: "Er wordt per kwartaal achteraf gefactureerd: uren maal uurtarief."}
checks:
  long_enough:
    label: Loopt circa zes maanden
    test: ended_on >= about_end
    message: Korter dan circa zes maanden
    source: {section: "§2", quote: "Het traject duurt circa zes maanden."}
"""


@pytest.fixture
def scheduled(tmp_path):
    return client_on(card_engine(tmp_path, SCHEDULE_AND_CIRCA).catalogue.root)


def _rows(page: str, kind: str) -> list[str]:
    return re.findall(rf'<tr data-kind="{kind}".*?</tr>', page, re.S)


def test_a_payment_with_a_schedule_lists_its_instalments_with_date_amount_and_status(scheduled):
    page = scheduled.post("/case/T-1", data={"started_on": "2016-01-31", "ended_on": "2016-09-15",
                                             "intake_hours": "3", "price": "33.33", "as_of": "2016-06-01"})
    assert page.status_code == 200, page.text
    shown = read(page.text)
    # 3 x € 33,33 = € 99,99 a quarter, paid at each period's end: 2016-04-30, 2016-07-31, and the last
    # period 2016-07-31 .. 2016-09-15 is 46 of the 92 days to 2016-10-31: 99.99 x 46 / 92 = 49.995 -> 50.00.
    assert [(shown.dates[f"coaching-{n}"], shown.amounts[f"coaching-{n}"]) for n in (1, 2, 3)] == [
        ("2016-04-30", "99.99"), ("2016-07-31", "99.99"), ("2016-09-15", "50.00")]
    assert shown.amounts["coaching"] == "249.98"  # the payment's own line: the exact sum
    rows = _rows(page.text, "instalment")
    # judged on 2016-06-01: the first is due, the two later ones not yet
    assert ['te betalen' in rows[0], 'nog niet te betalen' in rows[1], 'nog niet te betalen' in rows[2]] == [True] * 3
    assert "status-due" in rows[0] and "status-pending" in rows[2]
    assert "periode 31 juli 2016 – 15 september 2016" in rows[2]
    [payment] = _rows(page.text, "payment")
    assert "in termijnen" in payment and "onbekend" not in payment


def test_an_indication_not_met_shows_the_checks_message_and_does_not_fail(scheduled):
    page = html.unescape(scheduled.post("/case/T-1", data={"started_on": "2016-01-31", "ended_on": "2016-05-02",
                                                           "as_of": "2016-06-01"}).text)
    # 2016-01-31 + circa 6 months = circa 2016-07-31; ended 2016-05-02, before it: said, never failed
    [check] = _rows(page, "check")
    assert 'class="passed-true indicative"' in check
    assert '<td class="status">indicatie niet gehaald (geen fout): Korter dan circa zes maanden' in check
    assert "niet voldaan" not in check
    assert "Einde na circa zes maanden (regel, zie hieronder): circa 31 juli 2016." in check
    assert '<li data-kind="value" data-id="about_end">Einde na circa zes maanden: circa 31 juli 2016</li>' in page
    assert "Looptijd van het traject: circa 6 maanden" in page


def test_an_indication_that_holds_says_so_without_a_message(scheduled):
    page = html.unescape(scheduled.post("/case/T-1", data={"started_on": "2016-01-31", "ended_on": "2016-09-15",
                                                           "as_of": "2016-06-01"}).text)
    # ended 2016-09-15, after circa 2016-07-31
    [check] = _rows(page, "check")
    assert '<td class="status">voldaan (indicatie)</td>' in check.replace("\n", "")
    assert "Korter dan" not in check


def test_a_page_asked_for_before_a_catalogue_is_loaded_is_a_dutch_page_not_json(tmp_path):
    root = card_engine(tmp_path, CARD).catalogue.root
    live = LiveCatalogue(root)  # not loaded: as a service that is still starting, or whose catalogue broke
    client = service_client(live)
    for response in (client.get("/"), client.get("/case/T-1"), client.post("/case/T-1", data=CASE)):
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("text/html")
        assert "De productcatalogus is nog niet geladen" in response.text
    assert client.post("/v1/products/T-1/evaluate", json={"facts": {}}).status_code == 503  # the API stays JSON


def test_a_path_below_a_form_is_the_pages_own_404_without_the_path(small):
    for response in (small.get("/case/T-1/extra"), small.post("/case/T-1/a/b", data=CASE),
                     small.get("/case/%3Cscript%3E/x")):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Deze pagina bestaat niet" in response.text and 'href="/case/T-1"' in response.text
        assert "&lt;script&gt;" not in response.text and "/x" not in response.text  # the path is not echoed

"""The case page in a real browser: headless Chromium, driven through chromium-driver (Selenium), against
`catalogue serve` on a free loopback port. The worked examples of U-XR and LN-3 are typed into the form
and must come out as `catalogue evaluate` gives them; a bad date is shown next to its field.

CI installs Chromium and its driver (Debian packages `chromium`, `chromium-driver`) before `make test`;
elsewhere these tests skip with a reason when either is absent.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cards import FIXTURE, serving
from test_sheets_browser import assert_labels_apart, chromium, measured_marks, png_facts

REPO = Path(__file__).resolve().parent.parent
DESKTOP, PHONE = (1280, 1800), (390, 1600)


def chromedriver() -> str | None:
    if Path("/usr/bin/chromedriver").is_file():
        return "/usr/bin/chromedriver"
    return shutil.which("chromedriver")


if (chromium() is None or chromedriver() is None) and os.environ.get("CATALOGUE_REQUIRE_BROWSER"):
    raise RuntimeError("CATALOGUE_REQUIRE_BROWSER is set but chromium or chromium-driver is not installed")

pytestmark = pytest.mark.skipif(
    chromium() is None or chromedriver() is None,
    reason="headless Chromium and its driver are not installed (Debian packages 'chromium' and "
           "'chromium-driver'); .ci/run installs them so CI always runs these browser tests")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`catalogue serve` on the fixture catalogue; yields its base URL."""
    folder = tmp_path_factory.mktemp("casepage-server")
    with serving(FIXTURE, folder, "--no-watch") as (client, _):
        yield f"http://127.0.0.1:{client.base_url.port}"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chrome(tmp_path_factory.mktemp("casepage-profile")) as driver:
        yield driver


@contextlib.contextmanager
def chrome(profile: Path, script: bool = True):
    """Headless Chromium under chromium-driver; `script=False` blocks the pages' JavaScript."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    if not script:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.binary_location = chromium()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--lang=nl-NL", f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
                     f"--user-data-dir={profile}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver()), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("casepage-screenshots")


def worked_example(code: str) -> tuple[dict, str]:
    """The facts and as_of of a card's worked example, as the fixture card writes them."""
    card = next(FIXTURE.glob(f"products/*/{code}.yaml"))
    example = yaml.safe_load(card.read_text(encoding="utf-8"))["example"]
    return example["facts"], str(example["as_of"])


def catalogue_evaluate(code: str, facts: dict, as_of: str, folder: Path) -> dict:
    case = folder / f"{code}-case.yaml"
    case.write_text(yaml.safe_dump(facts), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", "import cli; cli.run()", "--catalogue", str(FIXTURE), "evaluate",
                           code, str(case), "--as-of", as_of, "--format", "json"],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def wait_for(driver, css: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 60).until(ready.presence_of_element_located((By.CSS_SELECTOR, css)))


def open_form(driver, base: str, code: str) -> None:
    """From the start page: choose the product in the list (the page's script opens its form)."""
    from selenium.webdriver.support.ui import Select, WebDriverWait

    driver.get(base + "/")
    Select(wait_for(driver, "select#product")).select_by_value(code)
    WebDriverWait(driver, 60).until(lambda d: d.current_url.endswith(f"/case/{code}"))
    wait_for(driver, "form.case")


def fill_in(driver, name: str, value) -> None:
    """Type one value as a case worker would: a date in its date field, a choice in its list, a set by ticking."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    if isinstance(value, list):
        for member in value:
            driver.find_element(By.ID, f"f-{name}-{member}").click()
        return
    field = driver.find_element(By.ID, f"f-{name}")
    if field.tag_name == "select":
        Select(field).select_by_value({True: "ja", False: "nee"}.get(value, str(value)) if isinstance(value, bool)
                                      else str(value))
    elif field.get_attribute("type") == "date":
        # Typing into a date field follows the browser's locale (dd-mm-jjjj or mm/dd/yyyy); its value is ISO.
        driver.execute_script("arguments[0].value = arguments[1]", field, str(value))
        assert field.get_attribute("value") == str(value), (name, value)
    else:
        field.clear()
        field.send_keys(str(value))


def submit(driver) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "button.go").click()
    wait_for(driver, "#uitkomst, .has-error")


def shown(driver) -> tuple[dict, dict, list]:
    """The dates of the deadlines, the amounts of the payments and the dates of the reports on the page."""
    rows = driver.execute_script("""
        return [...document.querySelectorAll("tr[data-id]")].map((row) => ({
          kind: row.dataset.kind, id: row.dataset.id,
          date: row.querySelector("td.date time") ? row.querySelector("td.date time").getAttribute("datetime") : null,
          amount: row.querySelector("data") ? row.querySelector("data").value : null}));""")
    deadlines = {r["id"]: r["date"] for r in rows if r["kind"] == "deadline"}
    amounts = {r["id"]: r["amount"] for r in rows if r["kind"] == "payment"}
    reports = [r["date"] for r in rows if r["kind"] == "report"]
    return deadlines, amounts, reports


def screenshot(driver, folder: Path, name: str, size: tuple[int, int]) -> Path:
    """A screenshot at one window size; the page must fit the width (only the timeline scrolls sideways)."""
    driver.set_window_size(*size)
    page = "document.documentElement"
    overflow = driver.execute_script(f"return {page}.scrollWidth - {page}.clientWidth")
    assert overflow <= 0, f"{name} is {overflow} px wider than a {size[0]} px window"
    png = folder / f"{name}-{size[0]}.png"
    assert driver.save_screenshot(str(png)), name
    width, _, ink = png_facts(png)
    assert width > 0.9 * size[0] - 40, (name, width)  # the viewport, less any scroll bar
    assert ink > 0.01, f"{name} at {size[0]} px looks blank ({ink:.4f})"
    driver.set_window_size(*DESKTOP)
    return png


@pytest.mark.parametrize("code", ["U-XR", "LN-3"])
def test_the_worked_example_typed_into_the_form_gives_what_catalogue_evaluate_gives(server, browser, shots,
                                                                                     tmp_path, code):
    facts, as_of = worked_example(code)
    open_form(browser, server, code)
    for name, value in facts.items():
        fill_in(browser, name, value)
    fill_in(browser, "as_of", as_of)
    submit(browser)
    assert browser.find_elements("css selector", "#uitkomst"), browser.page_source[-3000:]
    want = catalogue_evaluate(code, facts, as_of, tmp_path)
    deadlines, amounts, reports = shown(browser)
    assert deadlines == {d["id"]: d["date"] for d in want["deadlines"]}
    assert amounts == {p["id"]: p["amount"] for p in want["payments"]}
    assert reports == [r["date"] for r in want["reports"]]
    assert len(deadlines) >= 2 and all(amounts.values())
    # "why" opens the trace of one result in Dutch
    row = browser.find_element("css selector", f'tr[data-id="{want["deadlines"][0]["id"]}"]')
    row.find_element("css selector", "details.why summary").click()
    assert "(gegeven van de zaak)" in row.find_element("css selector", "details.why").text
    for size in (DESKTOP, PHONE):
        screenshot(browser, shots, f"case-{code}", size)


def test_every_asset_comes_from_the_service_itself(server, browser):
    open_form(browser, server, "U-XR")
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
    assert any(url.endswith("/assets/casepage.css") for url in loaded)
    assert all(url.startswith(server + "/") for url in loaded), loaded


def test_a_bad_date_is_shown_next_to_its_field(server, browser, shots):
    open_form(browser, server, "U-XR")
    fill_in(browser, "registered_on", "0201-04-01")  # a slip of the keyboard: year 201
    fill_in(browser, "price", "4000")
    submit(browser)
    error = browser.find_element("css selector", "#f-registered_on-error")
    assert "outside the years this service accepts" in error.text
    field = browser.find_element("css selector", "#f-registered_on")
    assert field.get_attribute("value") == "0201-04-01"  # kept, to correct
    # next to the field: in the same block, just below it
    assert error.find_element("xpath", "..") == field.find_element("xpath", "..")
    gap = error.rect["y"] - (field.rect["y"] + field.rect["height"])
    assert 0 <= gap < 60, (field.rect, error.rect)
    assert browser.switch_to.active_element == field  # the script puts the cursor there
    assert not browser.find_elements("css selector", "#uitkomst")
    for size in (DESKTOP, PHONE):
        screenshot(browser, shots, "case-bad-date", size)


def test_no_label_overlaps_another_on_the_case_pages_timeline(server, browser, tmp_path):
    facts, as_of = worked_example("LN-3")  # eleven dates from registration to payment
    open_form(browser, server, "LN-3")
    for name, value in facts.items():
        fill_in(browser, name, value)
    fill_in(browser, "as_of", as_of)
    submit(browser)
    svg = browser.find_element("css selector", "figure.timeline svg").get_attribute("outerHTML")
    marks = measured_marks(svg, "ln-3-case", tmp_path)
    assert len(marks) >= 11
    assert_labels_apart(marks, "the case page of LN-3")


def test_the_page_works_without_javascript(server, tmp_path):
    """Choose a product, take the worked example, calculate: plain HTML forms, no script needed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with chrome(tmp_path / "profile", script=False) as driver:
        driver.get(server + "/")
        Select(driver.find_element(By.ID, "product")).select_by_value("LN-3")
        driver.find_element(By.CSS_SELECTOR, "form.chooser button").click()
        wait_for(driver, "form.case")
        driver.find_element(By.LINK_TEXT, "het rekenvoorbeeld invullen").click()
        wait_for(driver, "form.case")
        driver.find_element(By.CSS_SELECTOR, "button.go").click()
        wait_for(driver, "#uitkomst")
        facts, as_of = worked_example("LN-3")
        want = catalogue_evaluate("LN-3", facts, as_of, tmp_path)
        # native WebDriver reads only: Selenium's get_attribute would run a script, which is blocked
        rows = driver.find_elements(By.CSS_SELECTOR, 'tr[data-kind="deadline"]')
        dates = {row.get_dom_attribute("data-id"):
                 row.find_element(By.CSS_SELECTOR, "td.date time").get_dom_attribute("datetime") for row in rows}
        assert dates == {d["id"]: d["date"] for d in want["deadlines"]}

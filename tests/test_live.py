"""A catalogue that follows its folder: a good edit is swapped in, a bad one leaves the last good catalogue."""
from __future__ import annotations

import time

from interpreter.live import LiveCatalogue

from cards import PLAN_CARD, card_engine

CARD = PLAN_CARD


def make_live(tmp_path) -> LiveCatalogue:
    root = card_engine(tmp_path, CARD).catalogue.root
    live = LiveCatalogue(root)
    assert live.load()
    return live


def card_file(live: LiveCatalogue):
    return live.root / "products" / "T-1.yaml"


def plan_date(engine) -> str:
    result = engine.evaluate("T-1", {"registered_on": "2016-04-01"})
    return result.deadlines[0].date.isoformat()


def test_a_good_edit_is_swapped_in_and_the_old_engine_stays_whole(tmp_path):
    live = make_live(tmp_path)
    before = live.engine
    assert plan_date(before) == "2016-05-27"  # 2016-04-01 + 56 days
    card_file(live).write_text(card_file(live).read_text().replace("56 days", "28 days"))
    assert live.changed()
    assert live.load()
    assert plan_date(live.engine) == "2016-04-29"  # 2016-04-01 + 28 days
    # a request that took the old engine before the swap still finishes on it
    assert plan_date(before) == "2016-05-27"
    assert live.engine.catalogue.hash != before.catalogue.hash and live.last_error is None


def test_a_bad_edit_keeps_the_last_good_catalogue_and_says_where(tmp_path):
    live = make_live(tmp_path)
    good = live.engine
    text = card_file(live).read_text()
    card_file(live).write_text(text.replace("registered_on + 56 days", "registered_on + 56 dayz"))
    assert not live.load()
    assert live.engine is good
    errors = live.last_error["errors"]
    assert errors and errors[0]["file"].endswith("T-1.yaml") and errors[0]["line"] == 12
    assert errors[0]["location"].startswith(errors[0]["file"] + ":12:")
    assert not live.changed()  # the broken files are not loaded again until the next edit
    card_file(live).write_text(text)
    assert live.changed() and live.load() and live.last_error is None


def test_the_watcher_reloads_after_an_edit(tmp_path):
    live = make_live(tmp_path)
    first = live.engine
    live.watch(interval=0.05)
    try:
        card_file(live).write_text(card_file(live).read_text().replace("56 days", "14 days"))
        deadline = time.monotonic() + 20
        while live.engine is first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert plan_date(live.engine) == "2016-04-15"  # 2016-04-01 + 14 days
    finally:
        live.stop()


def test_a_folder_that_never_loaded_leaves_no_engine(tmp_path):
    live = LiveCatalogue(tmp_path / "missing")
    assert not live.load()
    assert live.engine is None and live.last_error["errors"]

"""Results as batch rows: CSV rows are guarded against formulas where they are made, as csv_text guards every cell."""
from __future__ import annotations

import csv
import datetime as dt
import io

from cards import card_engine
from interpreter import rows
from interpreter.api import Engine


def test_csv_rows_are_guarded_when_made_as_csv_text_guards_every_cell(tmp_path):
    # OWASP "CSV Injection": a text cell that starts like a formula (= + - @, a tab or a carriage return)
    # gets a ' in front. ResultRows and SignalRows guard the cells that can hold text from a case or a card
    # as they make them, so that csv_text need not look at every cell again; the text must be what guarding
    # every cell gives. Here the edition, a label, a text value and the ids start like formulas.
    engine = card_engine(tmp_path, """\
      valid_from: 2016-01-01
    parameters:
      note:
        label: Notitie
        value: '"=1+2"'
      days_back:
        label: Terug
        value: -3
    deadlines:
      plan_due:
        label: "@Plan ingediend"
        due: registered_on + 56 days
    """)
    card = engine.catalogue.root / "products" / "T-1.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("name: Test edition", 'name: "+Editie"'),
                    encoding="utf-8")
    engine = Engine(engine.catalogue.root)
    editions = engine.catalogue.editions("T-1")
    as_of = dt.date(2016, 5, 1)
    ids = ["=HYPERLINK(\"http://x\")", "-2+3", "@SUM(A1)", "+1", "\tx", "-3", "ok", None, 7]
    results = [engine.evaluate("T-1", {"registered_on": "2016-04-01"}, as_of=as_of) for _ in ids]
    made = rows.ResultRows(rows.rule_ids(editions))
    table = [cells for row, (ident, result) in enumerate(zip(ids, results), start=1)
             for cells in made.result(row, ident, result, as_of, None)]
    table += [made.error(len(ids) + 1, "=bad", "=a message"), made.error(len(ids) + 2, "fine", "-1")]
    text = rows.csv_text(table, guarded=True)
    assert text == rows.csv_text(table)
    columns = rows.result_columns(rows.rule_ids(editions))
    first = dict(zip(columns, next(csv.reader(io.StringIO(text)))))
    # the text value "=1+2" and the edition "+Editie" are guarded; -3 days back is a number and stays one
    assert (first["id"], first["edition"], first["note"], first["days_back"]) == (
        "'=HYPERLINK(\"http://x\")", "'+Editie", "'=1+2", "-3")
    signals = rows.SignalRows()
    end = as_of + dt.timedelta(days=60)  # plan_due 2016-05-27 (2016-04-01 + 56 days) is inside
    table = [cells for row, (ident, result) in enumerate(zip(ids, results), start=1)
             for cells in signals.result(row, ident, result, as_of, end)]
    assert len(table) == len(ids)
    table.append(signals.error(len(ids) + 1, "=bad", "=a message"))
    text = rows.csv_text(table, guarded=True)
    assert text == rows.csv_text(table)
    assert "'@Plan ingediend" in text and "'=a message" in text

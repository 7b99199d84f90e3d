"""The fuzz suite, a modest number of examples per input class (tests/fuzzing.py; `make fuzz` runs many more).

Every input must end in a result or one of the project's own errors with a position, within the time
bound, and both backends must agree. Hypothesis keeps the failing examples it finds and tries them first
on the next run.
"""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzing as f

MODEST = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
FEW = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
AS_OF = st.one_of(st.none(), f.DATES)


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> f.Context:
    return f.Context(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def seeds() -> tuple[str, ...]:
    return f.seed_expressions()


def facts_and_day(context, data):
    return data.draw(f.typed_facts(context.vocabulary)), data.draw(f.DATES)


@MODEST
@given(data=st.data(), text=f.random_expressions())
def test_random_expressions(context, data, text):
    with f.time_bound():
        f.check_expression(context, text, *facts_and_day(context, data))


@MODEST
@given(data=st.data())
def test_mutated_expressions(context, seeds, data):
    text = data.draw(f.mutated_expressions(seeds))
    with f.time_bound():
        f.check_expression(context, text, *facts_and_day(context, data))


@MODEST
@given(data=st.data(), text=f.typed_expressions())
def test_well_typed_expressions_with_extreme_values(context, data, text):
    with f.time_bound():
        f.check_expression(context, text, *facts_and_day(context, data))


@FEW
@given(data=st.data(), card=f.cards())
def test_cards(context, data, card):
    with f.time_bound():
        f.check_card(context, card, data.draw(f.typed_facts(context.vocabulary)), data.draw(AS_OF))


@FEW
@given(data=st.data(), calendar=f.calendars())
def test_calendars(context, data, calendar):
    with f.time_bound():
        f.check_calendar(context, calendar, data.draw(f.typed_facts(context.vocabulary)), data.draw(AS_OF))


@MODEST
@given(data=st.data())
def test_case_files(context, data):
    text = data.draw(f.case_texts(context.vocabulary))
    with f.time_bound():
        f.check_case(context, text, data.draw(AS_OF))


@FEW
@given(file=f.batch_files(), out_format=st.sampled_from(["csv", "jsonl"]),
       due_within=st.one_of(st.none(), st.integers(0, 36_600)))
def test_batch_rows(context, file, out_format, due_within):
    with f.time_bound():
        f.check_batch(context, *file, out_format, due_within)


@settings(max_examples=2000, deadline=None)
@given(split=f.split_inputs())
def test_split_parts_are_never_negative(split):
    f.check_split(*split)


def test_the_checks_catch_what_they_look_for(context):
    """The harness itself: a crash, a lost position and a disagreement each count as a failure."""
    from interpreter.errors import EvaluationError, Position
    with pytest.raises(f.Failure, match="ZeroDivisionError"):
        f.outcome(lambda: 1 / 0)
    with pytest.raises(f.Failure, match="without a position"):
        f.outcome(lambda: (_ for _ in ()).throw(EvaluationError("no place")))
    assert f.outcome(lambda: (_ for _ in ()).throw(EvaluationError("here", Position("x", 1, 2)))) == \
        ("error", "x:1:2: here")
    with pytest.raises(f.Failure, match="negative part"):
        f.check_split(f.Decimal("0.03"), [f.Decimal(-20), f.Decimal(120)])
    with pytest.raises(TimeoutError):
        with f.time_bound(0.05):
            while True:
                pass
    assert f.check_expression(context, "registered_on + 56 days", {"registered_on": dt.date(2016, 4, 1)},
                              dt.date(2016, 4, 1)) == "value"

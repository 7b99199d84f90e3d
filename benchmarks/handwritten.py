"""12XR and LEON-3 written directly in Python, as a programmer would without a rule engine: the benchmark's baseline.

Each function takes the same typed facts as the engine (dates as datetime.date, money and numbers as
Decimal, sets as frozensets of member names, enumeration values as names) and returns the same
`interpreter.results.Result`, so `interpreter.results.to_json` can compare the two field for field.

Only the result vocabulary is borrowed from the interpreter: the result dataclasses, the static type tags
of `Result.value_types` (which `to_json` uses to print values) and `Open`, the marker a result uses for a
value that needs facts the case lacks. Everything that is computed (dates, working days, the payment
split, statuses, which facts are missing) is plain Python here. Labels, sources and messages are the
card's texts, copied as constants.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from dateutil.easter import easter

from interpreter import types as t
from interpreter.results import CheckResult, DeadlineResult, PaymentResult, ReportResult, Result
from interpreter.values import Open

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
DAY = dt.timedelta(days=1)
NONE = ()

# -- plain date helpers ----------------------------------------------------------------------------------
# Written out here rather than imported from interpreter.values: the baseline uses no engine code.

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later (earlier when negative), clamped to the last day of the month."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    last = _DAYS_IN_MONTH[month - 1]
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        last = 29
    return dt.date(year, month, min(day.day, last))


# Days equated with the holidays by decree (art. 3 lid 3), 2023-2028, as in the calendar's YAML.
DECREED = (dt.date(2023, 4, 28), dt.date(2023, 5, 19), dt.date(2024, 5, 10), dt.date(2024, 12, 27),
           dt.date(2025, 5, 30), dt.date(2026, 1, 2), dt.date(2026, 5, 15), dt.date(2027, 5, 7),
           dt.date(2028, 4, 28), dt.date(2028, 5, 26))


def _atw_holidays(first: int, last: int) -> frozenset[dt.date]:
    """Holidays of the Algemene termijnenwet, art. 3, for the years first..last: lid 1, Good Friday (lid 2)
    and the decreed days (lid 3)."""
    days = set(DECREED)
    for year in range(first, last + 1):
        e = easter(year)
        days.update({dt.date(year, 1, 1), e - dt.timedelta(days=2), e + dt.timedelta(days=1),
                     e + dt.timedelta(days=39),
                     e + dt.timedelta(days=50), dt.date(year, 12, 25), dt.date(year, 12, 26)})
        if year >= 2014:                      # Koningsdag: 27 April, 26 April when that is a Sunday
            king = dt.date(year, 4, 27)
            days.add(king - DAY if king.weekday() == 6 else king)
        elif year >= 1980:                    # Koninginnedag: 30 April, 29 April when that is a Sunday
            queen = dt.date(year, 4, 30)
            days.add(queen - DAY if queen.weekday() == 6 else queen)
        if year >= 1982:
            days.add(dt.date(year, 5, 5))     # Bevrijdingsdag, every year for this law
    return frozenset(days)


ATW_HOLIDAYS = _atw_holidays(1990, 2100)


def add_working_days(day: dt.date, count: int) -> dt.date:
    """`count` working days after `day`: Monday to Friday, not an ATW holiday."""
    while count:
        day += DAY
        if day.weekday() < 5 and day not in ATW_HOLIDAYS:
            count -= 1
    return day


def _deadline(rule_id: str, label: str, source: str, due, done, as_of: dt.date, missing=NONE,
              optional: bool = False) -> DeadlineResult:
    if due is None:
        return DeadlineResult(rule_id, label, None, "unknown", missing, source, done)
    if done is not None:
        status = "met" if done <= due else ("late" if optional else "overdue")
    else:
        status = ("lapsed" if optional else "overdue") if as_of > due else "open"
    return DeadlineResult(rule_id, label, due, status, NONE, source, done)


def _check(rule_id: str, label: str, source: str, message: str, passed, missing=NONE) -> CheckResult:
    if passed is None:
        return CheckResult(rule_id, label, None, None, missing, source)
    return CheckResult(rule_id, label, passed, None if passed else message, NONE, source)


def _payment(rule_id: str, label: str, group: str, share, amount, trigger: str, trigger_fact: str, on,
             as_of: dt.date, missing, source: str) -> PaymentResult:
    """A payment part: unknown without its amount, pending until its trigger date has come, then due."""
    if on is None:  # the trigger's fact is missing too
        missing = tuple(sorted({*missing, trigger_fact}))
    status = "unknown" if amount is None else ("pending" if on is None or on > as_of else "due")
    return PaymentResult(rule_id, label, group, share, amount, trigger, on, missing, source, status, trigger_fact)


def _missing(**facts) -> tuple[str, ...]:
    """The names (sorted) of the given facts that are None."""
    return tuple(sorted(name for name, value in facts.items() if value is None))


# -- 12XR ------------------------------------------------------------------------------------------------

XR_TITLE = "Innovatieve Re-integratietrajecten voor klanten met een WGA-, ZW-, WAO/WAZ- of Wajong-uitkering"
XR_EDITION = "Overzicht Re-integratiedienstverlening AG/ZW 2013, situatie per 1 april 2016"

BENEFIT = t.EnumType("benefit", ("WGA", "ZW", "WAO", "WAZ", "Wajong"))
DISTRICT = t.EnumType("district", tuple(f"D{i:02d}" for i in range(1, 12)))
CLIENT_GROUPS = frozenset(BENEFIT.members)
DISTRICT_NAMES = dict(zip(DISTRICT.members, (
    "District Noord Nederland", "District Utrecht & Flevoland", "District Rijnmond",
    "District Overijssel & Gelderland Noord", "District Den Haag & Leiden", "District West Brabant & Zeeland",
    "District Gelderland Midden & Zuid", "District Noord-Holland Noord", "District Midden & Oost Brabant",
    "District Groot Amsterdam", "District Limburg")))
XR_MAX_PRICE = Decimal(5000)
DREMPELBEDRAG = Decimal(209000)
DREMPEL_FROM, DREMPEL_UNTIL = dt.date(2016, 1, 1), dt.date(2017, 12, 31)
ORIENTATION_MEDIATION = frozenset({"orientation", "mediation"})
COMBINATIONS = {
    ORIENTATION_MEDIATION: "Oriëntatiefase en Bemiddelingsfase",
    frozenset({"orientation", "preparation", "mediation"}): "Oriëntatiefase, Voorschakelfase en Bemiddelingsfase",
    frozenset({"orientation", "strengthening", "mediation"}):
        "Oriëntatiefase, Aanbodversterkende fase en Bemiddelingsfase",
}
ALL_FOUR = "Oriëntatiefase, Voorschakelfase, Aanbodversterkende fase en Bemiddelingsfase"

XR_VALUE_TYPES = {
    "client_groups": t.SetType("set of benefit", BENEFIT), "plan_of_approach_required": t.BOOL,
    "district_name": t.TEXT, "contract_max_term": t.DURATION, "effort_share": t.PERCENT, "result_share": t.PERCENT,
    "drempelbedrag": t.MONEY, "trajectory_combination": t.TEXT, "order_number": t.TEXT,
    "max_price": t.MONEY, "closing_approach_until": t.DATE,
}

_UWV = "000 "
S_CLIENT_GROUP = _UWV + "§5.1 (12XR, 12LT); §5.3 Specifieke klantkenmerken (12EC, 12EP)"
S_PRICE = _UWV + "§5.2 12XR, Prijs"
S_CONTRACT = _UWV + "§5.2 Eis tot opstellen van een Plan van Aanpak, aanvullende eisen"
S_PHASES = _UWV + "§4.1 Wat is een re-integratietraject?; §5.2 12LT, Wat is een Leerbaan?"
S_DREMPEL = _UWV + "§5.2 12XR, Drempelbedrag"
S_PLAN = _UWV + "§5.2 12XR, Opstellen Re-integratieplan"
S_DURATION = _UWV + "§5.2 12XR, Maximale duur re-integratiedienstverlening; §4.3; Hoofdstuk 2"
S_FEE = _UWV + "§5.2 12XR, Resultaatfinanciering"

L_CLIENT_GROUP = "Klant heeft een WGA-, ZW-, WAO/WAZ- of Wajong-uitkering"
M_CLIENT_GROUP = ("UWV koopt deze dienstverlening alleen in voor klanten met een WGA-, ZW-, WAO/WAZ- of "
                  "Wajong-uitkering.")
L_PRICE = "Prijs niet boven de richtlijn van € 5000 (excl. btw en scholing/vaardigheidstrainingen)"
M_PRICE = ("De prijs ligt boven de richtlijn van € 5000 exclusief btw en scholing/vaardigheidstrainingen; UWV "
           "beoordeelt de offerte.")
L_PHASES = "Het traject bevat de Oriëntatiefase en de Bemiddelingsfase"
M_PHASES = "Een re-integratietraject bestaat altijd uit de Oriëntatiefase en de Bemiddelingsfase."
L_CONTRACT = "Looptijd van het contract ten hoogste één jaar"
M_CONTRACT = "De looptijd van het contract is langer dan één jaar."
L_THRESHOLD = "Geschatte waarde van de Overeenkomst niet boven het drempelbedrag"
M_THRESHOLD = "De vooraf geschatte waarde van de Overeenkomst is hoger dan het drempelbedrag."
L_EVALUATION = "Verplichte evaluatie van de Overeenkomst"
L_PLAN = "Re-integratieplan ingediend"
L_WORK = "Werk hervat, of eindrapportage met de reden waarom niet"


def evaluate_12xr(facts: dict, as_of: dt.date) -> Result:
    """12XR for one case: the same deadlines, payments, report, checks and values as the card."""
    get = facts.get
    registered, phases, benefit = get("registered_on"), get("phases"), get("benefit")
    price, district = get("price"), get("district")
    contract_start, contract_end = get("contract_started_on"), get("contract_end_on")
    result = Result("12XR", XR_TITLE, XR_EDITION, as_of, as_of, value_types=XR_VALUE_TYPES)
    values, checks, not_applicable = result.values, result.checks, result.not_applicable

    values["client_groups"] = CLIENT_GROUPS
    values["plan_of_approach_required"] = True
    checks.append(_check("client_group_served", L_CLIENT_GROUP, S_CLIENT_GROUP, M_CLIENT_GROUP,
                         None if benefit is None else benefit in CLIENT_GROUPS, ("benefit",)))
    checks.append(_check("price_within_guideline", L_PRICE, S_PRICE, M_PRICE,
                         None if price is None else price <= XR_MAX_PRICE, ("price",)))
    values["contract_max_term"] = "1 year"
    drempel_known = DREMPEL_FROM <= as_of <= DREMPEL_UNTIL
    values["drempelbedrag"] = (DREMPELBEDRAG if drempel_known else
                               Open(reasons=(f"no value of drempelbedrag is valid on {as_of.isoformat()}",)))

    if phases is None:
        values["trajectory_combination"] = Open(frozenset(("phases",)))
    elif "orientation" in phases and "mediation" in phases:
        values["trajectory_combination"] = COMBINATIONS.get(phases, ALL_FOUR)
    else:
        not_applicable.append("trajectory_combination")
    values["order_number"] = Open(frozenset(("district",))) if district is None else "12XR’X’ " + district
    values["district_name"] = Open(frozenset(("district",))) if district is None else DISTRICT_NAMES[district]

    result.reports.append(ReportResult("contract_evaluation", L_EVALUATION,
                                       None if contract_end is None else add_months(contract_end, -3),
                                       ("contract_end_on",) if contract_end is None else NONE, S_CONTRACT))

    checks.append(_check("phases_include_orientation_and_mediation", L_PHASES, S_PHASES, M_PHASES,
                         None if phases is None else "orientation" in phases and "mediation" in phases,
                         ("phases",)))
    if contract_start is None or contract_end is None:
        checks.append(_check("contract_within_max_term", L_CONTRACT, S_CONTRACT, M_CONTRACT, None,
                             _missing(contract_end_on=contract_end, contract_started_on=contract_start)))
    else:
        checks.append(_check("contract_within_max_term", L_CONTRACT, S_CONTRACT, M_CONTRACT,
                             contract_end < add_months(contract_start, 12)))
    estimated = get("estimated_value")
    if estimated is None or not drempel_known:
        checks.append(_check("estimated_value_within_threshold", L_THRESHOLD, S_DREMPEL, M_THRESHOLD, None,
                             ("estimated_value",) if estimated is None else NONE))
    else:
        checks.append(_check("estimated_value_within_threshold", L_THRESHOLD, S_DREMPEL, M_THRESHOLD,
                             estimated <= DREMPELBEDRAG))

    values["max_price"] = XR_MAX_PRICE
    if benefit is None:
        values["closing_approach_until"] = Open(frozenset(("benefit",)))
    elif benefit == "Wajong":
        values["closing_approach_until"] = (Open(frozenset(("registered_on",))) if registered is None
                                            else add_months(registered, 30))
    else:
        not_applicable.append("closing_approach_until")

    # Deadlines: the plan within 56 days; work resumed within 26 weeks (orientation and mediation only)
    # or 104 weeks, unless UWV set a shorter end; met by the return to work or the final report, the earlier.
    deadlines = result.deadlines
    deadlines.append(_deadline("plan_due", L_PLAN, S_PLAN, None if registered is None else registered + dt.timedelta(56),
                               get("plan_submitted_on"), as_of, ("registered_on",)))
    events = [day for day in (get("work_resumed_on"), get("final_report_on")) if day is not None]
    done = min(events) if events else None
    set_end = get("max_end_set_on")
    if set_end is not None:
        deadlines.append(_deadline("work_resumed_due", L_WORK, S_DURATION, set_end, done, as_of))
    elif registered is None or phases is None:
        deadlines.append(_deadline("work_resumed_due", L_WORK, S_DURATION, None, done, as_of,
                                   _missing(max_end_set_on=None, phases=phases, registered_on=registered)))
    else:
        weeks = 26 if phases == ORIENTATION_MEDIATION else 104
        deadlines.append(_deadline("work_resumed_due", L_WORK, S_DURATION, registered + dt.timedelta(weeks=weeks),
                                   done, as_of))

    # Payment: 60/40 (80/20 when hard to place; 100/0 with full pay), the remainder to the last part.
    hard = get("hard_to_place")
    if get("full_pay") is True:
        effort_share, result_share = HUNDRED, Decimal(0)
    elif hard is None:
        effort_share = result_share = None
    else:
        effort_share, result_share = (Decimal(80), Decimal(20)) if hard else (Decimal(60), Decimal(40))
    values["effort_share"] = Open(frozenset(("hard_to_place",))) if effort_share is None else effort_share
    values["result_share"] = Open(frozenset(("hard_to_place",))) if result_share is None else result_share
    if price is None or effort_share is None:
        missing = _missing(hard_to_place=None if effort_share is None else True, price=price)
        effort_amount = result_amount = None
    else:
        missing = NONE
        effort_amount = (price * effort_share / HUNDRED).quantize(CENT, ROUND_HALF_UP)
        result_amount = price.quantize(CENT, ROUND_HALF_UP) - effort_amount
    result.payments += [
        _payment("effort", "Inspanningsdeel", "fee", effort_share, effort_amount, "akkoord Re-integratieplan",
                 "plan_approved_on", get("plan_approved_on"), as_of, missing, S_FEE),
        _payment("result", "Resultaatdeel", "fee", result_share, result_amount, "datum werkhervatting / plaatsing",
                 "work_resumed_on", get("work_resumed_on"), as_of, missing, S_FEE),
    ]
    return result


# -- LEON-3 ----------------------------------------------------------------------------------------------

LEON_TITLE = "LEON productcode 3 — traject langer dan 3 maanden, vaste prijs"
LEON_EDITION = "Werkafspraken 2024–2028"

SOCIAL_RETURN_THRESHOLD = Decimal(50000)
SOCIAL_RETURN_RATE = Decimal(5)
FREE_INTRODUCTION_MAX_HOURS = Decimal(1)
INTAKE_COMPENSATION_MAX_HOURS = Decimal(5)
FIFTY = Decimal(50)
REQUIREMENTS = ("requirement_staff_expertise", "requirement_staff_education", "requirement_confidentiality",
                "requirement_staff_vog", "requirement_fixed_coach", "requirement_care_system_knowledge",
                "requirement_own_network", "requirement_complaints_procedure", "requirement_evaluations",
                "requirement_knows_rsd", "requirement_staff_know_leon", "requirement_inform_rsd")
LEON_VALUE_TYPES = {
    **dict.fromkeys(REQUIREMENTS, t.BOOL), "social_return_threshold": t.MONEY, "social_return_rate": t.PERCENT,
    "free_introduction_max_hours": t.NUMBER, "intake_compensation_max_hours": t.NUMBER,
    "invoice_per_client": t.BOOL, "social_return": t.PERCENT, "compensated_intake_hours": t.NUMBER,
    "min_duration": t.DURATION, "invoice_states_period": t.BOOL, "fixed_price": t.BOOL,
    "quotation_required": t.BOOL, "plan_required": t.BOOL, "report_only_at_end": t.BOOL,
    "first_invoice_share": t.PERCENT, "final_invoice_share": t.PERCENT,
    "duration_class": t.EnumType("duration_class", ("short", "long")),
}
# The card's constant parameters, in card order: family leon first.
LEON_CONSTANTS = {
    **dict.fromkeys(REQUIREMENTS, True), "social_return_threshold": SOCIAL_RETURN_THRESHOLD,
    "social_return_rate": SOCIAL_RETURN_RATE, "free_introduction_max_hours": FREE_INTRODUCTION_MAX_HOURS,
    "intake_compensation_max_hours": INTAKE_COMPENSATION_MAX_HOURS, "invoice_per_client": True,
}
LEON_LANG_CONSTANTS = {"duration_class": "long", "min_duration": "3 months", "invoice_states_period": True}
# Row 3 of the table of product codes (long, fixed price): no quotation, a plan, progress reports, 50/50.
LEON_3_CONSTANTS = {"fixed_price": True, "quotation_required": False, "plan_required": True,
                    "report_only_at_end": False, "first_invoice_share": FIFTY, "final_invoice_share": FIFTY}

S_INTAKE = "002 Trajectafspraken, Intakefase 3."
S_EXTENSION = "002 Trajectafspraken, Trajectfase 6."
S_FINAL = "002 Trajectafspraken, Afronding en eindrapportage 7.; 2.2 Facturatie"
S_INVOICING = "002 2.2 Facturatie"
S_INTRODUCTION = "002 2.2 Kosteloze kennismaking / klikgesprek"
S_INTAKE_HOURS = "002 2.2 Vergoeding intake"
S_SPLIT = "002 2.2 productcodes, codes 3 en 4 (Facturatie)"
S_REPORTING = "002 2.2 productcodes, codes 3 en 4 (Rapportage) en Rapportage *"
S_DURATION_34 = "002 2.2 productcodes, codes 3 en 4 (Looptijd)"

S_PURCHASED = "002 1.1 Toetreding en werkwijze Leer- en ontwikkelnetwerk"
L_PURCHASED = "RSD heeft in het afgelopen jaar een product van de aanbieder afgenomen"
M_PURCHASED = ("Meer dan 1 jaar geen afname van producten: RSD behoudt zich de mogelijkheid voor het contract "
               "eenzijdig te beëindigen.")
L_INVOICE_ON_TIME = "Factuur uiterlijk 30 dagen na afronding ingediend"
M_INVOICE_ON_TIME = ("De factuur is later dan 30 dagen na afronding ingediend; RSD behoudt de mogelijkheid om "
                     "deels of niet te betalen.")
L_INTRODUCTION = "Kosteloze kennismaking of klikgesprek duurt ten hoogste 1 uur"
M_INTRODUCTION = ("Een vrijblijvend klik-/kennismakingsgesprek duurt ten hoogste 1 uur en kan niet worden "
                  "gefactureerd.")
L_INTAKE_HOURS = "Gedeclareerde uren voor een intake zonder start binnen de vergoeding van ten hoogste 5 uur"
M_INTAKE_HOURS = ("Voor een intake waarna de kandidaat niet start, worden ten hoogste 5 uur vergoed; de uren "
                  "daarboven worden niet vergoed.")
L_LONGER = "Geplande looptijd langer dan 3 maanden"
M_LONGER = "Een traject met code 3 of 4 duurt langer dan 3 maanden; kies bij een korter traject code 1 of 2."


def evaluate_leon_3(facts: dict, as_of: dt.date) -> Result:
    """LEON-3 for one case: the same deadlines, invoicing, progress reports, checks and values as the card."""
    get = facts.get
    registered, intake, ended = get("registered_on"), get("intake_on"), get("ended_on")
    started, planned_end, received = get("started_on"), get("planned_end_on"), get("invoice_received_on")
    intake_hours, price = get("intake_hours"), get("price")
    result = Result("LEON-3", LEON_TITLE, LEON_EDITION, as_of, as_of, value_types=LEON_VALUE_TYPES)
    values = result.values
    values.update(LEON_CONSTANTS)
    volume = get("annual_volume")
    values["social_return"] = (Open(frozenset(("annual_volume",))) if volume is None else
                               SOCIAL_RETURN_RATE if volume > SOCIAL_RETURN_THRESHOLD else Decimal(0))
    values["compensated_intake_hours"] = (Open(frozenset(("intake_hours",))) if intake_hours is None
                                          else min(intake_hours, INTAKE_COMPENSATION_MAX_HOURS))

    # Deadlines: intake 2 weeks after registration, plan 1 week after the intake (or its latest date),
    # start 1 week after approval, extension a month before the planned end, final report 2 weeks and
    # invoice 30 days after the end, payment 30 working days after the invoice.
    week = dt.timedelta(weeks=1)
    intake_due = None if registered is None else registered + 2 * week
    plan_from = intake if intake is not None else intake_due
    approved = get("plan_approved_on")
    invoice_due = None if ended is None else ended + dt.timedelta(30)
    result.deadlines += [
        _deadline("intake_due", "Kandidaat uitgenodigd en intake-/kennismakingsgesprek gevoerd", S_INTAKE,
                  intake_due, intake, as_of, ("registered_on",)),
        _deadline("plan_due", "Re-integratieplan opgeleverd", S_INTAKE,
                  None if plan_from is None else plan_from + week, get("plan_submitted_on"), as_of,
                  ("intake_on", "registered_on")),
        _deadline("start_due", "Start voorziening", S_INTAKE, None if approved is None else approved + week,
                  started, as_of, ("plan_approved_on",)),
        _deadline("extension_request_due", "Uiterste datum voor een onderbouwde aanvraag tot verlenging",
                  S_EXTENSION, None if planned_end is None else add_months(planned_end, -1),
                  get("extension_requested_on"), as_of, ("planned_end_on",), optional=True),
        _deadline("final_report_due", "Eindrapportage ontvangen door RSD", S_FINAL,
                  None if ended is None else ended + 2 * week, get("final_report_on"), as_of, ("ended_on",)),
        _deadline("invoice_due", "Factuur ingediend", S_INVOICING, invoice_due, received, as_of, ("ended_on",)),
        _deadline("payment_due", "Betaling door RSD", S_INVOICING,
                  None if received is None else add_working_days(received, 30), get("paid_on"), as_of,
                  ("invoice_received_on",)),
    ]

    checks = result.checks
    last_order = get("last_order_on")
    checks.append(_check("purchased_within_a_year", L_PURCHASED, S_PURCHASED, M_PURCHASED,
                         None if last_order is None else as_of <= add_months(last_order, 12), ("last_order_on",)))
    if received is None or invoice_due is None:
        checks.append(_check("invoice_on_time", L_INVOICE_ON_TIME, S_INVOICING, M_INVOICE_ON_TIME, None,
                             _missing(ended_on=ended, invoice_received_on=received)))
    else:
        checks.append(_check("invoice_on_time", L_INVOICE_ON_TIME, S_INVOICING, M_INVOICE_ON_TIME,
                             received <= invoice_due))
    introduction = get("introduction_hours")
    checks.append(_check("introduction_within_free_hour", L_INTRODUCTION, S_INTRODUCTION, M_INTRODUCTION,
                         None if introduction is None else introduction <= FREE_INTRODUCTION_MAX_HOURS,
                         ("introduction_hours",)))
    checks.append(_check("intake_hours_within_compensation", L_INTAKE_HOURS, S_INTAKE_HOURS, M_INTAKE_HOURS,
                         None if intake_hours is None else intake_hours <= INTAKE_COMPENSATION_MAX_HOURS,
                         ("intake_hours",)))
    values.update(LEON_LANG_CONSTANTS)

    # Invoicing: 50% on plan approval, 50% on the final report.
    if price is None:
        first = second = None
        missing = ("price",)
    else:
        first = (price * FIFTY / HUNDRED).quantize(CENT, ROUND_HALF_UP)
        second = price.quantize(CENT, ROUND_HALF_UP) - first
        missing = NONE
    result.payments += [
        _payment("on_plan_approval", "Bij akkoord Re-integratieplan", "invoicing", FIFTY, first,
                 "akkoord Re-integratieplan", "plan_approved_on", approved, as_of, missing, S_SPLIT),
        _payment("on_final_report", "Bij oplevering eindrapportage", "invoicing", FIFTY, second,
                 "eindrapportage ontvangen", "final_report_on", get("final_report_on"), as_of, missing, S_SPLIT),
    ]

    # Progress reports every 3 months (6 with reduced reporting) after the start, before the end
    # (the actual end, else the planned one).
    until = ended if ended is not None else planned_end
    if started is None or until is None:
        result.reports.append(ReportResult("progress_report", "Voortgangsrapportage", None,
                                           _missing(started_on=started, ended_on=until, planned_end_on=until),
                                           S_REPORTING))
    else:
        step = 6 if get("reduced_reporting") else 3
        months, sequence = step, 1
        day = add_months(started, months)
        while day < until:
            result.reports.append(ReportResult("progress_report", "Voortgangsrapportage", day, NONE, S_REPORTING,
                                               sequence))
            months += step
            sequence += 1
            day = add_months(started, months)

    if planned_end is None or started is None:
        checks.append(_check("longer_than_three_months", L_LONGER, S_DURATION_34, M_LONGER, None,
                             _missing(planned_end_on=planned_end, started_on=started)))
    else:
        checks.append(_check("longer_than_three_months", L_LONGER, S_DURATION_34, M_LONGER,
                             planned_end > add_months(started, 3)))
    values.update(LEON_3_CONSTANTS)
    return result


HANDWRITTEN = {"12XR": evaluate_12xr, "LEON-3": evaluate_leon_3}

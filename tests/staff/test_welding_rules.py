"""WELDING.md R1–R7 (`staff.welding_rules`), on their own: the acceptance cases of §6 about
dates (1–4, 8–13, 15, 16), the actions (4–6, 13, 14) and the welder check (18–22, 27, 28,
the warnings of 29),
month-end clamping, the due day itself, and `as_of`."""

import datetime as dt
import random
from dataclasses import replace
from decimal import Decimal

import pytest

from staff import welding_rules as rules
from staff.welding_rules import (
    ASME_IX,
    AWS_D1_1,
    CONFIRMATION,
    ISO_9606_1,
    RENEWAL,
    REVALIDATION,
    REVOCATION,
    Candidate,
    Covers,
    Entry,
    EntryTarget,
    Event,
    Qualification,
    RuleError,
    Run,
    WpsRanges,
    add_months,
    chain_due,
    check_entry,
    confirmation,
    continuity_due,
    refusal_detail,
    renewal,
    revalidation,
    revocation,
    runs_of,
    standing,
    valid_until,
)

D = dt.date
Q1 = Qualification(standard=ISO_9606_1, process="135", test_date=D(2025, 3, 10), revalidation_method="9.3b")
Q2 = Qualification(standard=ASME_IX, process="135", test_date=D(2025, 10, 1))
Q2_ENTRIES = [Entry(D(2026, 3, 1), "135"), Entry(D(2026, 5, 1), "135")]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 8, 31), 6, D(2027, 2, 28)),  # WELDING.md's own example
        (D(2027, 8, 31), 6, D(2028, 2, 29)),  # a leap year's February
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 7, 15), 6, D(2027, 1, 15)),  # over the year's end
        (D(2025, 3, 10), 36, D(2028, 3, 10)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2026, 5, 31), 0, D(2026, 5, 31)),
    ],
)
def test_add_months_clamps_to_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_case_1_iso_9_3b_is_valid_for_24_months_with_a_6_month_due():
    s = standing(Q1, on=D(2025, 6, 1))
    assert (s.valid_until, s.continuity_due, s.status) == (D(2027, 3, 10), D(2025, 9, 10), "valid")
    assert s.effective_until == D(2025, 9, 10)


def test_case_2_expiring_within_30_days():
    s = standing(Q1, on=D(2025, 8, 20))
    assert (s.status, s.days_left) == ("expiring", 21)


def test_the_30_day_edge():
    assert standing(Q1, on=D(2025, 8, 10)).days_left == 31
    assert standing(Q1, on=D(2025, 8, 10)).status == "valid"
    assert standing(Q1, on=D(2025, 8, 11)).status == "expiring"


def test_case_3_lapsed_the_day_after_the_due_day_and_still_valid_on_it():
    assert standing(Q1, on=D(2025, 9, 10)).status == "expiring"  # the due day itself
    assert standing(Q1, on=D(2025, 9, 10)).days_left == 0
    assert standing(Q1, on=D(2025, 9, 11)).status == "lapsed"


def test_case_4_an_iso_confirmation_moves_the_due_date():
    events = [Event(CONFIRMATION, D(2025, 9, 1))]
    assert continuity_due(Q1, events) == D(2026, 3, 1)
    # weld-log entries play no part in ISO continuity: only confirmations and revalidations
    assert continuity_due(Q1, [], [Entry(D(2025, 8, 15), "135")]) == D(2025, 9, 10)


def test_case_8_asme_entries_extend_the_chain_and_it_lapses_after_the_due_day():
    assert continuity_due(Q2, [], Q2_ENTRIES) == D(2026, 11, 1)
    assert standing(Q2, [], Q2_ENTRIES, on=D(2026, 11, 2)).status == "lapsed"


def test_case_9_the_due_day_is_expiring_with_0_days_left():
    s = standing(Q2, [], Q2_ENTRIES, on=D(2026, 11, 1))
    assert (s.status, s.days_left, s.valid_until) == ("expiring", 0, None)


def test_case_10_another_process_keeps_nothing_alive():
    entries = [*Q2_ENTRIES, Entry(D(2026, 10, 1), "141")]
    assert standing(Q2, [], entries, on=D(2026, 11, 2)).status == "lapsed"


def test_case_11_a_last_entry_on_august_31_is_due_february_28():
    assert continuity_due(Q2, [], [Entry(D(2026, 3, 1), "135"), Entry(D(2026, 8, 31), "135")]) == D(
        2027, 2, 28
    )


def test_case_12_overridden_entries_and_entries_after_a_lapse_count_for_nothing_renewal_restarts():
    late = [*Q2_ENTRIES, Entry(D(2026, 12, 1), "135", overridden=True)]
    assert standing(Q2, [], late, on=D(2026, 12, 5)).status == "lapsed"
    after_lapse = [*Q2_ENTRIES, Entry(D(2026, 11, 20), "135")]
    assert continuity_due(Q2, [], after_lapse) == D(2026, 11, 1)
    renewed = [Event(RENEWAL, D(2026, 12, 10))]
    assert continuity_due(Q2, renewed, late) == D(2027, 6, 10)
    assert standing(Q2, renewed, late, on=D(2026, 12, 10)).status == "valid"


def test_entries_before_a_renewal_do_not_count_after_it():
    renewed = [Event(RENEWAL, D(2026, 12, 10))]
    assert continuity_due(Q2, renewed, [Entry(D(2026, 12, 9), "135")]) == D(2027, 6, 10)


def test_aws_follows_the_same_chain():
    q = Qualification(standard=AWS_D1_1, process="136", test_date=D(2026, 1, 31))
    assert continuity_due(q) == D(2026, 7, 31)
    assert continuity_due(q, [], [Entry(D(2026, 7, 31), "136")]) == D(2027, 1, 31)  # on the due day: counts


def test_case_13_a_revalidation_adds_24_months_and_counts_as_a_confirmation():
    events = [
        Event(CONFIRMATION, D(2025, 9, 1)),
        Event(CONFIRMATION, D(2026, 2, 20)),
        Event(CONFIRMATION, D(2026, 8, 1)),
        Event(CONFIRMATION, D(2027, 1, 25)),
        Event(REVALIDATION, D(2027, 2, 1)),
    ]
    assert valid_until(Q1, events) == D(2029, 3, 10)
    assert continuity_due(Q1, events) == D(2027, 8, 1)
    # as of a day before the revalidation, it is not known yet
    assert valid_until(Q1, events, as_of=D(2027, 1, 31)) == D(2027, 3, 10)


def test_case_15_route_9_3a_expires_after_36_months():
    q = Qualification(standard=ISO_9606_1, process="135", test_date=D(2023, 5, 1), revalidation_method="9.3a")
    assert valid_until(q) == D(2026, 5, 1)
    assert standing(q, on=D(2026, 5, 2)).status == "expired"  # expired before lapsed
    assert standing(q, [Event(CONFIRMATION, D(2026, 4, 1))], on=D(2026, 5, 1)).status == "expiring"


@pytest.mark.parametrize("part", ["none", "4", ""])
def test_case_16_route_9_3c_needs_iso_3834_part_2_or_3(part):
    q = Qualification(standard=ISO_9606_1, process="135", test_date=D(2025, 1, 1), revalidation_method="9.3c")
    with pytest.raises(RuleError) as refused:
        valid_until(q, iso3834_part=part)
    assert refused.value.field == "revalidation_method"
    assert valid_until(q, iso3834_part="2") is None and valid_until(q, iso3834_part="3") is None
    assert standing(q, on=D(2025, 2, 1), iso3834_part="3").effective_until == D(2025, 7, 1)


@pytest.mark.parametrize(
    ("q", "field"),
    [
        (Qualification(standard=ISO_9606_1, process="135", test_date=D(2025, 1, 1)), "revalidation_method"),
        (Qualification(ISO_9606_1, "135", D(2025, 1, 1), revalidation_method="9.3d"), "revalidation_method"),
        (Qualification(standard="en_287", process="135", test_date=D(2025, 1, 1)), "standard"),
    ],
)
def test_records_the_rules_refuse(q, field):
    with pytest.raises(RuleError) as refused:
        valid_until(q)
    assert refused.value.field == field


def test_revoked_and_pending_come_first():
    revoked = [Event(REVOCATION, D(2025, 6, 1))]
    assert standing(Q1, revoked, on=D(2025, 6, 1)).status == "revoked"
    assert standing(Q1, revoked, on=D(2025, 5, 31)).status == "valid"  # as of the day before
    assert standing(Q1, on=D(2025, 3, 9)).status == "pending"
    assert standing(Q1, on=D(2025, 3, 10)).status == "valid"


# ------------------------------------------------------------------------------ R7
ALL_POSITIONS = frozenset({"PA", "PB", "PC", "PD", "PE", "PF", "PG", "PH", "PJ", "H-L045", "J-L045"})
COVERS = Covers(
    product_forms=frozenset({"P"}),
    weld_types=frozenset({"BW", "FW"}),
    positions=frozenset({"PA", "PB", "PC", "PF"}),
    filler_groups=frozenset({"FM1", "FM2"}),
    thickness_min=Decimal("3"),
    thickness_max=Decimal("20"),
)
C1 = Candidate("ISO-135-01", Q1, COVERS)
C2 = Candidate("ASME-135-02", Q2, COVERS)
EMP_02 = [Candidate("ISO-141-01", replace(Q1, process="141"), COVERS)]
WPS = WpsRanges(
    wps_id="WPS-135-01",
    status="approved",
    process="135",
    positions=ALL_POSITIONS,
    filler_group="FM1",
    thickness_min=Decimal("3"),
    thickness_max=Decimal("30"),
)
W1 = EntryTarget(
    day=D(2025, 6, 1),
    process="135",
    product_form="P",
    weld_type="BW",
    thickness_mm=Decimal("10"),
    position="PF",
    wps=WPS,
)


def codes(check):
    return [f.code for f in check.failures]


def test_case_18_emp_01_on_w1_matches_q1():
    check = check_entry([C1, C2], [], W1)
    assert (check.ok, check.qualification, check.failures, check.warnings) == (True, "ISO-135-01", (), ())


def test_of_two_passing_the_one_valid_longest_matches():
    later = replace(W1, day=D(2025, 12, 1))  # Q1 lapsed (due 2025-09-10), Q2 due 2026-04-01
    assert check_entry([C1, C2], [], later).qualification == "ASME-135-02"
    both = [C1, Candidate("ISO-135-09", replace(Q1, test_date=D(2025, 5, 1)), COVERS)]
    assert check_entry(both, [], W1).qualification == "ISO-135-09"


def test_case_19_too_thick_and_the_refusal_sentence():
    check = check_entry([C1], [], replace(W1, thickness_mm=Decimal("25")))
    assert not check.ok and codes(check) == ["THICKNESS_RANGE"]
    assert refusal_detail(check, "EMP-01", "WO-1000-W02") == (
        "EMP-01 is not qualified for WO-1000-W02: THICKNESS_RANGE 25.0 mm outside 3.0–20.0 mm (ISO-135-01)"
    )


def test_case_20_position_and_case_21_pipe():
    assert codes(check_entry([C1], [], replace(W1, position="PE"))) == ["POSITION"]
    pipe = replace(W1, product_form="T", diameter_mm=Decimal("60"))
    assert codes(check_entry([C1], [], pipe)) == ["PRODUCT_FORM"]
    narrow = Candidate(
        "ISO-135-03", Q1, replace(COVERS, product_forms=frozenset({"P", "T"}), diameter_min=Decimal("100"))
    )
    assert codes(check_entry([narrow], [], pipe)) == ["DIAMETER_RANGE"]


def test_case_22_no_qualification_in_the_process():
    check = check_entry(EMP_02, [], W1)
    assert (check.ok, check.qualification, codes(check)) == (False, None, ["NO_QUALIFICATION_FOR_PROCESS"])
    assert check_entry([], [], W1).failures[0].code == "NO_QUALIFICATION_FOR_PROCESS"


def test_status_failures_on_the_entrys_day():
    assert codes(check_entry([C1], [], replace(W1, day=D(2025, 9, 11)))) == ["QUALIFICATION_LAPSED"]
    assert codes(check_entry([C1], [], replace(W1, day=D(2025, 3, 1)))) == ["QUALIFICATION_PENDING"]
    revoked = replace(C1, events=(Event(REVOCATION, D(2025, 5, 1)),))
    assert codes(check_entry([revoked], [], W1)) == ["QUALIFICATION_REVOKED"]
    a = Qualification(ISO_9606_1, "135", D(2023, 5, 1), "9.3a")
    confirmed = Candidate("ISO-135-04", a, COVERS, (Event(CONFIRMATION, D(2026, 4, 1)),))
    assert codes(check_entry([confirmed], [], replace(W1, day=D(2026, 5, 2)))) == ["QUALIFICATION_EXPIRED"]


def test_asme_continuity_comes_from_the_welders_own_log():
    day = replace(W1, day=D(2026, 6, 1))  # Q2's first due date was 2026-04-01
    assert codes(check_entry([C2], [], day)) == ["QUALIFICATION_LAPSED"]
    assert check_entry([C2], Q2_ENTRIES, day).ok


def test_the_closest_candidate_gives_the_failures():
    far = Candidate(
        "ISO-135-05", Q1, replace(COVERS, positions=frozenset({"PA"}), weld_types=frozenset({"FW"}))
    )
    check = check_entry([far, C1], [], replace(W1, thickness_mm=Decimal("25")))
    assert (check.qualification, codes(check)) == ("ISO-135-01", ["THICKNESS_RANGE"])


def test_case_27_draft_wps_and_the_wps_rules():
    draft = replace(W1, wps=replace(WPS, status="draft"))
    check = check_entry([C1], [], draft)
    assert (check.ok, check.qualification, codes(check)) == (False, "ISO-135-01", ["WPS_NOT_APPROVED"])
    assert codes(check_entry([C1], [], replace(W1, wps=replace(WPS, process="141")))) == ["WPS_PROCESS"]
    rooted = replace(W1, wps=replace(WPS, process="141", root_process="135"))
    assert check_entry([C1], [], rooted).ok  # the root pass's own process
    assert codes(check_entry([C1], [], replace(W1, wps=replace(WPS, thickness_max=Decimal("8"))))) == [
        "WPS_RANGE"
    ]
    assert codes(check_entry([C1], [], replace(W1, wps=replace(WPS, positions=frozenset({"PA"}))))) == [
        "WPS_RANGE"
    ]


def test_case_28_a_lot_in_fm5():
    check = check_entry([C1], [], replace(W1, lot_filler_group="FM5"))
    assert codes(check) == ["FILLER_GROUP", "FILLER_NOT_PER_WPS"]
    assert codes(check_entry([C1], [], replace(W1, lot_filler_group="FM2"))) == ["FILLER_NOT_PER_WPS"]
    # without a lot, the WPS's filler group must be in the qualification
    assert codes(check_entry([C1], [], replace(W1, wps=replace(WPS, filler_group="FM3")))) == ["FILLER_GROUP"]


def test_warnings_never_block():
    check = check_entry(
        [C1],
        [],
        replace(
            W1,
            day=D(2025, 8, 20),
            wps=None,
            equipment_validated=False,
            lot_expires_on=D(2025, 8, 19),
        ),
    )
    assert check.ok
    assert [w.code for w in check.warnings] == [
        "QUALIFICATION_EXPIRING",
        "NO_WPS",
        "EQUIPMENT_VALIDATION",
        "LOT_EXPIRED",
    ]
    assert check_entry([C1], [], replace(W1, lot_expires_on=D(2025, 6, 1))).warnings == ()  # expires that day


# ------------------------------------------------------------------------------ R4–R6
def refused(call, *args, **kwargs) -> RuleError:
    with pytest.raises(RuleError) as error:
        call(*args, **kwargs)
    return error.value


def test_case_4_a_confirmation_names_its_evidence():
    entry = Entry(D(2025, 8, 15), "135", id=7)
    other = Entry(D(2025, 8, 16), "141", id=8)
    overridden = Entry(D(2025, 8, 17), "135", overridden=True, id=9)
    assert confirmation(Q1, [], [entry, other, overridden], confirmed_on=D(2025, 9, 1)) == [entry]
    assert continuity_due(Q1, [Event(CONFIRMATION, D(2025, 9, 1))]) == D(2026, 3, 1)


def test_case_5_no_evidence_is_a_422_unless_overridden():
    error = refused(confirmation, Q1, [], [], confirmed_on=D(2025, 9, 1))
    assert (error.status, error.code, error.field) == (422, "CONTINUITY_EVIDENCE_MISSING", "confirmed_on")
    # an entry on the anchor day itself is not after it; an overridden one never counts
    on_anchor = [Entry(D(2025, 3, 10), "135"), Entry(D(2025, 8, 1), "135", overridden=True)]
    assert (
        refused(confirmation, Q1, [], on_anchor, confirmed_on=D(2025, 9, 1)).code
        == "CONTINUITY_EVIDENCE_MISSING"
    )
    assert confirmation(Q1, [], [], confirmed_on=D(2025, 9, 1), overridden=True) == []


def test_case_6_a_confirmation_after_the_due_date_is_a_409():
    error = refused(confirmation, Q1, [], [Entry(D(2025, 8, 15), "135")], confirmed_on=D(2025, 9, 15))
    assert (error.status, error.code) == (409, "QUALIFICATION_LAPSED")
    # on the due day itself: still in time
    assert confirmation(Q1, [], [Entry(D(2025, 8, 15), "135")], confirmed_on=D(2025, 9, 10))
    # on or before the anchor: a bad date, not a lapse
    assert refused(confirmation, Q1, [], [], confirmed_on=D(2025, 3, 10)).status == 422


def test_confirmations_are_for_iso_and_never_for_a_revoked_qualification():
    assert refused(confirmation, Q2, [], [], confirmed_on=D(2025, 11, 1)).status == 422
    revoked = [Event(REVOCATION, D(2025, 5, 1))]
    error = refused(confirmation, Q1, revoked, [Entry(D(2025, 8, 15), "135")], confirmed_on=D(2025, 9, 1))
    assert (error.status, error.code) == (409, "QUALIFICATION_REVOKED")


CURRENT = [
    Event(CONFIRMATION, D(2025, 9, 1)),
    Event(CONFIRMATION, D(2026, 2, 20)),
    Event(CONFIRMATION, D(2026, 8, 1)),
    Event(CONFIRMATION, D(2027, 1, 25)),
]
RT_PASSED = [
    Entry(D(2026, 10, 5), "135", id=1, weld="W-A", ndt_passed=True),
    Entry(D(2026, 10, 6), "135", id=2, weld="W-A", ndt_passed=True),  # the same weld again
    Entry(D(2027, 1, 20), "135", id=3, weld="W-B", ndt_passed=True),
]


def test_case_13_revalidation_with_two_rt_passed_welds():
    evidence = revalidation(Q1, CURRENT, RT_PASSED, revalidated_on=D(2027, 2, 1))
    assert [e.id for e in evidence] == [1, 3]
    assert valid_until(Q1, [*CURRENT, Event(REVALIDATION, D(2027, 2, 1))]) == D(2029, 3, 10)


def test_case_14_one_weld_is_not_enough():
    for entries in (
        RT_PASSED[:2],  # one weld, twice
        [*RT_PASSED[:2], replace(RT_PASSED[2], ndt_passed=False)],  # the second without RT/UT passed
        [*RT_PASSED[:2], replace(RT_PASSED[2], process="141")],
        [*RT_PASSED[:2], replace(RT_PASSED[2], overridden=True)],
        [replace(RT_PASSED[0], welded_on=D(2026, 9, 9)), RT_PASSED[2]],  # W-A before the window
    ):
        error = refused(revalidation, Q1, CURRENT, entries, revalidated_on=D(2027, 2, 1))
        assert (error.status, error.code) == (422, "REVALIDATION_EVIDENCE_MISSING")


def test_revalidation_window_and_status():
    early = refused(revalidation, Q1, CURRENT, RT_PASSED, revalidated_on=D(2026, 9, 9))
    assert (early.status, early.code) == (422, "VALIDATION_ERROR")
    late = refused(revalidation, Q1, CURRENT, RT_PASSED, revalidated_on=D(2027, 3, 11))
    assert (late.status, late.code) == (409, "QUALIFICATION_LAPSED")
    lapsed = refused(revalidation, Q1, CURRENT[:3], RT_PASSED, revalidated_on=D(2027, 2, 2))  # due 2027-02-01
    assert (lapsed.status, lapsed.code) == (409, "QUALIFICATION_LAPSED")
    a = Qualification(ISO_9606_1, "135", D(2025, 3, 10), "9.3a")
    assert refused(revalidation, a, CURRENT, RT_PASSED, revalidated_on=D(2027, 2, 1)).status == 422


def test_renewal_and_revocation():
    renewal(Q2, [], test_date=D(2026, 12, 10))
    assert refused(renewal, Q1, [], test_date=D(2026, 12, 10)).field == "qualification"
    assert refused(renewal, Q2, [], test_date=D(2025, 9, 30)).field == "test_date"
    revocation([], reason="Failed a bend test")
    assert refused(revocation, [], reason="  ").field == "reason"
    twice = refused(revocation, [Event(REVOCATION, D(2026, 1, 1))], reason="again")
    assert (twice.status, twice.code) == (409, "QUALIFICATION_REVOKED")
    assert refused(renewal, Q2, [Event(REVOCATION, D(2026, 1, 1))], test_date=D(2026, 12, 10)).status == 409


# ------------------------------------------------------------------ runs: R3 without every entry
def test_runs_split_at_gaps_over_six_months():
    days = [D(2026, 1, 10), D(2026, 7, 10), D(2027, 1, 11), D(2027, 1, 20), D(2026, 3, 1), D(2026, 3, 1)]
    assert runs_of(days, "135") == [
        Run("135", D(2026, 1, 10), D(2026, 7, 10)),
        Run("135", D(2027, 1, 11), D(2027, 1, 20)),
    ]
    # August 31 + 6 months is February 28: March 1 starts a new run.
    assert len(runs_of([D(2026, 8, 31), D(2027, 2, 28)], "135")) == 1
    assert len(runs_of([D(2026, 8, 31), D(2027, 3, 1)], "135")) == 2
    assert runs_of([], "135") == []


@pytest.mark.parametrize("seed", range(40))
def test_the_chain_from_runs_equals_the_chain_from_entries(seed):
    """`chain_due` over `runs_of` is R3's chain over the entries themselves, for random
    histories (gaps around six months, month ends, starts before, inside and after runs)."""
    rng = random.Random(seed)
    day = D(2024, 1, 1) + dt.timedelta(days=rng.randrange(60))
    days = []
    for _ in range(rng.randrange(0, 25)):
        day += dt.timedelta(days=rng.choice([1, 5, 30, 150, 181, 182, 183, 184, 200, 400]))
        days.append(day)
    days += [D(2025, 8, 31), D(2026, 2, 28)] if seed % 3 == 0 else []
    for _ in range(10):
        start = D(2024, 1, 1) + dt.timedelta(days=rng.randrange(1500))
        q = Qualification(ASME_IX, "135", start)
        expected = continuity_due(q, [], [Entry(d, "135") for d in days])
        assert chain_due(start, runs_of(days, "135")) == expected, (start, days)
        assert standing(q, [], [], on=D(2030, 1, 1), runs=runs_of(days, "135")).continuity_due == expected


# ------------------------------------------------------------------ R7: a work order's welder
def _wo_target(**wps_changes):
    wps = dict(
        wps_id="WPS-135-01", status="approved", process="135", positions=frozenset({"PA"}), filler_group="FM1"
    )
    wps.update(wps_changes)
    return rules.WorkOrderTarget(
        day=dt.date(2025, 6, 1),
        wps=rules.WpsRanges(**wps),
        product_forms=frozenset({"P", "T"}),
        weld_types=frozenset({"BW", "FW"}),
    )


def _wo_candidate(qid="ISO-135-01", process="135", **covers):
    values = dict(
        product_forms=frozenset({"P"}),
        weld_types=frozenset({"BW", "FW"}),
        positions=frozenset({"PA"}),
        filler_groups=frozenset({"FM1", "FM2"}),
    )
    values.update(covers)
    return rules.Candidate(
        qid,
        rules.Qualification(rules.ISO_9606_1, process, dt.date(2025, 3, 10), "9.3b"),
        rules.Covers(**values),
    )


def _codes(check):
    return [f.code for f in check.failures]


def test_work_order_check_passes_for_a_qualified_welder():
    check = rules.check_work_order([_wo_candidate()], [], _wo_target())
    assert (check.ok, check.qualification, check.failures) == (True, "ISO-135-01", ())


def test_work_order_check_failures():
    assert _codes(rules.check_work_order([], [], _wo_target())) == ["NO_QUALIFICATION_FOR_PROCESS"]
    assert _codes(
        rules.check_work_order([_wo_candidate(product_forms=frozenset({"X"}))], [], _wo_target())
    ) == ["PRODUCT_FORM"]
    assert _codes(
        rules.check_work_order([_wo_candidate(weld_types=frozenset({"XX"}))], [], _wo_target())
    ) == ["WELD_TYPE"]
    assert _codes(
        rules.check_work_order([_wo_candidate(filler_groups=frozenset({"FM5"}))], [], _wo_target())
    ) == ["FILLER_GROUP"]
    assert _codes(rules.check_work_order([_wo_candidate()], [], _wo_target(status="draft"))) == [
        "WPS_NOT_APPROVED"
    ]
    lapsed = replace(_wo_target(), day=dt.date(2025, 9, 20))
    assert _codes(rules.check_work_order([_wo_candidate()], [], lapsed)) == ["QUALIFICATION_LAPSED"]


def test_work_order_root_process_needs_its_own_qualification():
    target = _wo_target(root_process="141")
    check = rules.check_work_order([_wo_candidate()], [], target)
    assert _codes(check) == ["NO_QUALIFICATION_FOR_PROCESS"]
    assert check.failures[0].message.startswith("root process 141")
    both = [_wo_candidate(), _wo_candidate("ISO-141-01", "141")]
    assert rules.check_work_order(both, [], target).ok


def test_work_order_check_warns_of_an_expiring_match():
    soon = replace(_wo_target(), day=dt.date(2025, 8, 20))
    check = rules.check_work_order([_wo_candidate()], [], soon)
    assert check.ok and [w.code for w in check.warnings] == ["QUALIFICATION_EXPIRING"]

"""`staff.qualifications`: the bridge from the tables to the rules, on each database — the runs
of weld-log days PostgreSQL works out in SQL (`RUNS_SQL`) are the runs the rules work out from
the days (`runs_of`), and a standing read from the tables is the rules' standing."""

import datetime as dt

import pytest

from staff import welding_rules as rules
from staff.models import WelderQualification
from staff.qualifications import continuity_runs, rows_of, standings
from tests.factories import (
    EmployeeFactory,
    QualificationEventFactory,
    WeldActivityFactory,
    WelderQualificationFactory,
    WeldFactory,
)

D = dt.date
pytestmark = pytest.mark.django_db


def log(welder, weld, days, process="135", **kwargs):
    for day in days:
        WeldActivityFactory(welder=welder, weld=weld, welded_on=day, process=process, **kwargs)


def test_runs_split_where_a_day_is_more_than_six_months_after_the_last(django_assert_max_num_queries):
    welder, other = EmployeeFactory(), EmployeeFactory()
    weld = WeldFactory()
    # August 31 + 6 months is February 28: the 28th carries on, March 1 would not.
    log(welder, weld, [D(2026, 3, 1), D(2026, 3, 1), D(2026, 8, 31), D(2027, 2, 28), D(2027, 9, 1)])
    log(welder, weld, [D(2026, 1, 5)], process="141")
    log(welder, weld, [D(2026, 5, 1)], override_reason="a manager let it through")  # never counts
    log(other, weld, [D(2026, 6, 1), D(2026, 12, 1)])  # on the 6-month day itself: one run
    log(welder, weld, [D(2028, 1, 1)])  # after the day asked: not yet known
    with django_assert_max_num_queries(1):
        runs = continuity_runs(
            {(welder.pk, "135"), (welder.pk, "141"), (other.pk, "135")}, on=D(2027, 12, 31)
        )
    assert sorted(runs[(welder.pk, "135")], key=lambda r: r.first) == [
        rules.Run("135", D(2026, 3, 1), D(2027, 2, 28)),
        rules.Run("135", D(2027, 9, 1), D(2027, 9, 1)),
    ]
    assert runs[(welder.pk, "141")] == [rules.Run("141", D(2026, 1, 5), D(2026, 1, 5))]
    assert runs[(other.pk, "135")] == [rules.Run("135", D(2026, 6, 1), D(2026, 12, 1))]
    assert continuity_runs(set(), on=D(2027, 12, 31)) == {}


def test_standings_from_the_tables_are_the_rules_standings(django_assert_max_num_queries):
    """WELDING.md case 8 (ASME, lapsed the day after the due day) and case 4 (ISO, confirmed)
    read from the tables, in two queries whatever the number of qualifications."""
    welder = EmployeeFactory()
    q2 = WelderQualificationFactory(
        employee=welder, standard="asme_ix", revalidation_method="", test_date=D(2025, 10, 1)
    )
    q1 = WelderQualificationFactory(employee=welder, test_date=D(2025, 3, 10))
    QualificationEventFactory(qualification=q1, kind="confirmation", on_date=D(2025, 9, 1))
    log(welder, WeldFactory(), [D(2026, 3, 1), D(2026, 5, 1)])
    for _ in range(5):
        WelderQualificationFactory()
    with django_assert_max_num_queries(3):
        found = standings(rows_of(WelderQualification.objects.all()), on=D(2026, 11, 2))
    assert len(found) == 7
    assert (found[q2.pk].continuity_due, found[q2.pk].status) == (D(2026, 11, 1), "lapsed")
    assert (found[q1.pk].continuity_due, found[q1.pk].status) == (D(2026, 3, 1), "lapsed")
    on_due_day = standings([q2], on=D(2026, 11, 1))[q2.pk]
    assert (on_due_day.status, on_due_day.days_left) == ("expiring", 0)

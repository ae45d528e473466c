"""`stats.grouped_percentiles`: PostgreSQL's `percentile_cont` made exact, and the window
ranks elsewhere, against Python's own percentiles over the same whole numbers."""

import random
import statistics
from fractions import Fraction

import pytest
from django.db import connection
from django.db.models import F

from dashboard.analytics import stats
from inventory.models import StockMovement
from tests.factories import ItemFactory

FRACTIONS = (stats.MEDIAN, stats.P90, Fraction(1, 4))


def expected(values: list[int]) -> list[Fraction]:
    """statistics' inclusive method (linear between the closest ranks), exactly."""
    if len(values) == 1:
        return [Fraction(values[0])] * len(FRACTIONS)
    cuts = statistics.quantiles([Fraction(v) for v in values], n=20, method="inclusive")
    at = {Fraction(k, 20): cut for k, cut in enumerate(cuts, start=1)}
    return [at[p] for p in FRACTIONS]


@pytest.fixture
def movements(db):
    """Whole-number deltas per item: one value, two, many, large and negative ones, ties."""
    rng = random.Random(6520)
    values = {
        ItemFactory(item_id="ONE"): [7],
        ItemFactory(item_id="TWO"): [3, 10],
        ItemFactory(item_id="MANY"): [rng.randint(-86_400, 3 * 10**8) or 1 for _ in range(97)],
        ItemFactory(item_id="TIES"): [5] * 6 + [9] * 5,
    }
    StockMovement.objects.bulk_create(
        StockMovement(item=item, delta=v, quantity_after=0, reason="correction")
        for item, vs in values.items()
        for v in vs
    )
    return {item.pk: vs for item, vs in values.items()}


def test_per_group_and_overall_equal_pythons_percentiles(movements, django_assert_num_queries):
    queryset = StockMovement.objects.all()
    with django_assert_num_queries(1):
        grouped = stats.grouped_percentiles(
            queryset, value=F("delta"), partition={"i": F("item")}, fractions=FRACTIONS
        )
    assert grouped == {(pk,): (len(vs), expected(vs)) for pk, vs in movements.items()}
    everything = [v for vs in movements.values() for v in vs]
    with django_assert_num_queries(1):
        overall = stats.grouped_percentiles(queryset, value=F("delta"), partition={}, fractions=FRACTIONS)
    assert overall == {(): (len(everything), expected(everything))}
    assert (
        stats.grouped_percentiles(
            queryset.filter(delta=0), value=F("delta"), partition={}, fractions=FRACTIONS
        )
        == {}
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the other path is PostgreSQL's own")
def test_postgresqls_percentile_cont_and_the_window_ranks_agree(movements, monkeypatch):
    queryset = StockMovement.objects.all()
    by_postgres = stats.grouped_percentiles(
        queryset, value=F("delta"), partition={"i": F("item")}, fractions=FRACTIONS
    )
    monkeypatch.setattr(connection, "vendor", "sqlite")  # the window-function path, on PostgreSQL
    by_windows = stats.grouped_percentiles(
        queryset, value=F("delta"), partition={"i": F("item")}, fractions=FRACTIONS
    )
    assert by_postgres == by_windows

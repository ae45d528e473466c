"""`equipment.calibration_rules` on its own: the status of a machine on a day, its due date,
and whether it was validated on the day of a weld (no database)."""

import datetime as dt

import pytest

from equipment import calibration_rules as cal

D = dt.date


def rec(performed_on, result="pass", valid_until=None, seq=0, kind="validation"):
    return cal.Calibration(
        performed_on=performed_on,
        result=result,
        valid_until=valid_until or cal.default_valid_until(performed_on, 365),
        kind=kind,
        seq=seq,
    )


PASS_0110 = rec(D(2025, 1, 10))  # valid until 2026-01-10


class TestDefaultValidUntil:
    def test_the_interval_else_a_year(self):
        assert cal.default_valid_until(D(2025, 1, 10), 365) == D(2026, 1, 10)
        assert cal.default_valid_until(D(2025, 1, 10), 90) == D(2025, 4, 10)
        assert cal.default_valid_until(D(2024, 2, 29), None) == D(2025, 2, 28)  # 365 days


class TestStatus:
    @pytest.mark.parametrize(
        ("on", "expected"),
        [
            (D(2025, 12, 20), cal.DUE_SOON),  # case 30
            (D(2026, 1, 11), cal.OVERDUE),  # case 30
            (D(2026, 1, 10), cal.DUE_SOON),  # the due day itself still counts
            (D(2025, 12, 11), cal.DUE_SOON),  # 30 days left
            (D(2025, 12, 10), cal.VALID),  # 31 days left
            (D(2025, 1, 10), cal.VALID),  # the day it was done
            (D(2025, 1, 9), cal.NONE),  # not yet done that day
        ],
    )
    def test_case_30_and_its_edges(self, on, expected):
        assert cal.calibration_status(365, [PASS_0110], on) == expected

    def test_no_interval_is_not_required_whatever_is_recorded(self):
        assert cal.calibration_status(None, [], D(2025, 6, 1)) == cal.NOT_REQUIRED
        assert cal.calibration_status(None, [rec(D(2025, 1, 1), "fail")], D(2025, 6, 1)) == cal.NOT_REQUIRED

    def test_an_interval_without_records_is_none(self):
        assert cal.calibration_status(365, [], D(2025, 6, 1)) == cal.NONE

    def test_the_latest_failed_is_failed_even_with_an_earlier_pass_still_running(self):
        records = [PASS_0110, rec(D(2025, 3, 1), "fail")]
        assert cal.calibration_status(365, records, D(2025, 2, 28)) == cal.VALID  # before the failure
        assert cal.calibration_status(365, records, D(2025, 3, 1)) == cal.FAILED
        assert cal.calibration_due(365, records, D(2025, 3, 1)) == D(2025, 3, 1)

    def test_a_pass_after_a_failure_restores(self):
        records = [rec(D(2025, 3, 1), "fail"), rec(D(2025, 3, 5))]
        assert cal.calibration_status(365, records, D(2025, 3, 5)) == cal.VALID
        assert cal.calibration_due(365, records, D(2025, 3, 5)) == D(2026, 3, 5)

    def test_the_same_day_the_one_recorded_last_decides(self):
        records = [rec(D(2025, 3, 1), "fail", seq=2), rec(D(2025, 3, 1), seq=1)]
        assert cal.calibration_status(365, records, D(2025, 3, 2)) == cal.FAILED
        records = [rec(D(2025, 3, 1), "fail", seq=1), rec(D(2025, 3, 1), seq=2)]
        assert cal.calibration_status(365, records, D(2025, 3, 2)) == cal.VALID

    def test_order_of_the_input_does_not_matter(self):
        records = [rec(D(2025, 6, 1)), rec(D(2024, 6, 1), "fail")]
        assert cal.calibration_status(365, records, D(2025, 7, 1)) == cal.VALID
        assert cal.calibration_status(365, records[::-1], D(2025, 7, 1)) == cal.VALID

    def test_due(self):
        assert cal.calibration_due(365, [PASS_0110], D(2025, 6, 1)) == D(2026, 1, 10)
        assert cal.calibration_due(None, [PASS_0110], D(2025, 6, 1)) is None
        assert cal.calibration_due(365, [], D(2025, 6, 1)) is None
        assert cal.calibration_due(365, [PASS_0110], D(2025, 1, 1)) is None  # not yet done


class TestValidatedOn:
    EXPIRED_0501 = rec(D(2024, 5, 1), valid_until=D(2025, 5, 1))

    def test_case_29_expired_before_the_weld(self):
        assert cal.validated_on([self.EXPIRED_0501], D(2025, 6, 1)) is False

    def test_covered_up_to_and_including_valid_until(self):
        assert cal.validated_on([self.EXPIRED_0501], D(2025, 5, 1)) is True
        assert cal.validated_on([self.EXPIRED_0501], D(2024, 5, 1)) is True
        assert cal.validated_on([self.EXPIRED_0501], D(2025, 5, 2)) is False

    def test_records_but_none_performed_by_that_day(self):
        assert cal.validated_on([self.EXPIRED_0501], D(2024, 4, 30)) is False

    def test_latest_failed_is_false_even_if_an_earlier_pass_covers(self):
        records = [PASS_0110, rec(D(2025, 3, 1), "fail")]
        assert cal.validated_on(records, D(2025, 2, 1)) is True
        assert cal.validated_on(records, D(2025, 3, 1)) is False

    def test_calibration_counts_like_validation(self):
        assert cal.validated_on([rec(D(2025, 1, 10), kind="calibration")], D(2025, 6, 1)) is True

    def test_nothing_to_judge(self):
        assert cal.validated_on([], D(2025, 6, 1)) is None
        assert cal.validated_on([], D(2025, 6, 1), interval_days=None) is None

    def test_required_but_never_done_is_false(self):
        assert cal.validated_on([], D(2025, 6, 1), interval_days=365) is False

    def test_records_count_without_an_interval(self):
        assert cal.validated_on([self.EXPIRED_0501], D(2025, 6, 1), interval_days=None) is False
        assert cal.validated_on([PASS_0110], D(2025, 6, 1), interval_days=None) is True

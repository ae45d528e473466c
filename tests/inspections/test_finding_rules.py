"""R9 and the ISO 6520-1 code table as pure functions (inspections/finding_rules.py)."""

import pytest

from inspections import finding_rules as rules
from inspections.finding_rules import Finding


class TestCodeTable:
    @pytest.mark.parametrize(
        ("defect_type", "code"),
        [
            ("crack", "100"),
            ("porosity", "2011"),
            ("slag_inclusion", "301"),
            ("lack_of_fusion", "401"),
            ("incomplete_penetration", "402"),
            ("undercut", "5011"),
            ("spatter", "602"),
            ("distortion", "508"),
            ("other", "303"),
        ],
    )
    def test_legacy_code_is_the_first_of_the_list(self, defect_type, code):
        assert rules.legacy_code(defect_type) == code
        assert rules.defect_type_of(code) == defect_type

    @pytest.mark.parametrize(
        ("code", "group", "defect_type"),
        [
            ("104", 1, "crack"),
            ("2017", 2, "porosity"),
            ("302", 3, "slag_inclusion"),
            ("303", 3, "other"),
            ("4013", 4, "lack_of_fusion"),
            ("4021", 4, "incomplete_penetration"),
            ("5013", 5, "undercut"),
            ("508", 5, "distortion"),
            ("511", 5, "other"),
            ("601", 6, "other"),
            ("602", 6, "spatter"),
            ("other", None, "other"),
        ],
    )
    def test_groups_and_types(self, code, group, defect_type):
        info = rules.code_info(code)
        assert (info.group, info.defect_type) == (group, defect_type)
        assert info.label

    def test_every_code_of_the_table(self):
        expected = {
            "100", "101", "102", "104",
            *(str(c) for c in range(2011, 2018)),
            "301", "302", "401", "4011", "4012", "4013", "402", "4021",
            "5011", "5012", "5013", "602", "508",
            "303", "502", "503", "504", "505", "506", "507", "509", "510", "511", "515", "517", "601", "other",
        }  # fmt: skip
        assert set(rules.CODES) == expected
        assert [c for c, _label in rules.CODE_CHOICES][-1] == "other"

    def test_unknowns_are_value_errors(self):
        with pytest.raises(ValueError):
            rules.legacy_code("rust")
        with pytest.raises(ValueError):
            rules.code_info("999")


class TestDecide:
    def test_a_rejected_finding_fails_with_its_defect_type(self):
        decision = rules.decide("fail", [Finding("5011", "accept"), Finding("2013", "reject")], "C")
        assert decision == rules.Decision("fail", "porosity")

    def test_the_first_rejected_gives_the_defect_type(self):
        decision = rules.decide(None, [Finding("401", "reject"), Finding("2011", "reject")], "C")
        assert decision == rules.Decision("fail", "lack_of_fusion")

    def test_accepted_findings_pass(self):
        assert rules.decide("pass", [Finding("2011", "accept")], "C") == rules.Decision("pass", None)
        assert rules.decide(None, [Finding("2011", "accept")], "C") == rules.Decision("pass", None)

    def test_no_findings_keep_the_result(self):
        assert rules.decide("pass", [], "C") == rules.Decision("pass", None)
        assert rules.decide(None, [], "C") == rules.Decision("pass", None)

    def test_fail_with_only_accepted_findings_is_refused(self):  # case 31
        with pytest.raises(rules.FindingRuleError) as caught:
            rules.decide("fail", [Finding("2011", "accept")], "C")
        assert (caught.value.field, caught.value.code, caught.value.status) == (
            "result",
            rules.RESULT_CONTRADICTS_FINDINGS,
            422,
        )

    def test_pass_with_a_rejected_finding_is_refused(self):
        with pytest.raises(rules.FindingRuleError) as caught:
            rules.decide("pass", [Finding("2011", "reject")], "C")
        assert caught.value.code == rules.RESULT_CONTRADICTS_FINDINGS

    @pytest.mark.parametrize("code", ["100", "101", "102", "104"])
    @pytest.mark.parametrize("level", ["B", "C"])
    def test_an_accepted_crack_is_refused(self, code, level):  # case 32
        with pytest.raises(rules.FindingRuleError) as caught:
            rules.decide("pass", [Finding(code, "accept")], level)
        assert (caught.value.field, caught.value.code) == ("findings", rules.CRACK_NOT_ACCEPTABLE)

    @pytest.mark.parametrize("code", ["100", "101", "102"])
    def test_other_cracks_not_even_at_d(self, code):
        with pytest.raises(rules.FindingRuleError):
            rules.decide("pass", [Finding(code, "accept")], "D")

    def test_a_crater_crack_at_d_may_be_accepted(self):  # case 32
        assert rules.decide("pass", [Finding("104", "accept")], "D") == rules.Decision("pass", None)

    def test_the_findings_own_level_wins(self):
        assert rules.decide("pass", [Finding("104", "accept", "D")], "B").result == "pass"
        with pytest.raises(rules.FindingRuleError):
            rules.decide("pass", [Finding("104", "accept", "C")], "D")

    def test_rejected_cracks_are_fine(self):
        assert rules.decide("fail", [Finding("100", "reject")], "B") == rules.Decision("fail", "crack")

    def test_check_verdict_names_its_field(self):
        with pytest.raises(rules.FindingRuleError) as caught:
            rules.check_verdict("101", "accept", "D")
        assert caught.value.field == "verdict"
        assert (
            "Longitudinal crack (101)" in caught.value.message
            or "longitudinal crack (101)" in caught.value.message
        )

"""ISO 6520-1 findings and rule R9 of WELDING.md as pure functions: codes and plain records
in, results out, no ORM (unit-tested on their own: tests/inspections/test_finding_rules.py).

- The code table of WELDING.md §1 [S7]: each code's ISO 6520-1 group (1 cracks, 2 cavities,
  3 solid inclusions, 4 lack of fusion and penetration, 5 imperfect shape, 6 miscellaneous;
  the shop's catch-all `other` has none), its label and the legacy `defect_type` it maps to.
  The first code listed for a defect type is what a legacy `{fail, defect_type}` becomes
  (`legacy_code`).
- **R9** `decide(result, findings, quality_level)`: with findings, `result` is `fail` iff some
  finding is rejected (a `result` that says otherwise is refused), and `defect_type` is the
  legacy type of the first rejected finding; a group-1 crack (100, 101, 102, 104) is never
  accepted, except a crater crack 104 at quality level D (ISO 5817 Table 1 nos. 1.1–1.2;
  WELDING.md §8: unverified). A finding's own quality level wins over the weld's (the
  caller's `quality_level`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workshop.errors import FieldRefusal

PASS, FAIL = "pass", "fail"
ACCEPT, REJECT = "accept", "reject"
OTHER = "other"
LEVEL_D = "D"

# Error codes (422) of the rules.
RESULT_CONTRADICTS_FINDINGS = "RESULT_CONTRADICTS_FINDINGS"
CRACK_NOT_ACCEPTABLE = "CRACK_NOT_ACCEPTABLE"


@dataclass(frozen=True)
class Code:
    code: str
    group: int | None
    label: str
    defect_type: str


# (defect_type, [(code, label), ...]): the first code is the legacy default. WELDING.md §1.
_TABLE: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "crack",
        (
            ("100", "Crack"),
            ("101", "Longitudinal crack"),
            ("102", "Transverse crack"),
            ("104", "Crater crack"),
        ),
    ),
    (
        "porosity",
        (
            ("2011", "Gas pore"),
            ("2012", "Uniformly distributed porosity"),
            ("2013", "Clustered (localized) porosity"),
            ("2014", "Linear porosity"),
            ("2015", "Elongated cavity"),
            ("2016", "Worm-hole"),
            ("2017", "Surface pore"),
        ),
    ),
    ("slag_inclusion", (("301", "Slag inclusion"), ("302", "Flux inclusion"))),
    (
        "lack_of_fusion",
        (
            ("401", "Lack of fusion"),
            ("4011", "Lack of side-wall fusion"),
            ("4012", "Lack of inter-run fusion"),
            ("4013", "Lack of root fusion"),
        ),
    ),
    ("incomplete_penetration", (("402", "Lack of penetration"), ("4021", "Incomplete root penetration"))),
    (
        "undercut",
        (("5011", "Continuous undercut"), ("5012", "Intermittent undercut"), ("5013", "Shrinkage groove")),
    ),
    ("spatter", (("602", "Spatter"),)),
    ("distortion", (("508", "Angular misalignment"),)),
    (
        "other",
        (
            ("303", "Oxide inclusion"),
            ("502", "Excess weld metal"),
            ("503", "Excessive convexity"),
            ("504", "Excessive penetration"),
            ("505", "Incorrect weld toe"),
            ("506", "Overlap"),
            ("507", "Linear misalignment"),
            ("509", "Sagging"),
            ("510", "Burn-through"),
            ("511", "Incompletely filled groove"),
            ("515", "Root concavity"),
            ("517", "Poor restart"),
            ("601", "Stray arc"),
            (OTHER, "Other imperfection"),
        ),
    ),
)


def _group(code: str) -> int | None:
    return None if code == OTHER else int(code[0])


CODES: dict[str, Code] = {
    code: Code(code, _group(code), label, defect_type)
    for defect_type, codes in _TABLE
    for code, label in codes
}
# The choices of a finding's `code`, in ISO order ("other" last).
CODE_CHOICES = sorted(
    ((c.code, f"{c.code} {c.label}" if c.code != OTHER else c.label) for c in CODES.values()),
    key=lambda pair: (pair[0] == OTHER, pair[0]),
)
LEGACY_CODES: dict[str, str] = {defect_type: codes[0][0] for defect_type, codes in _TABLE}
CRACKS = frozenset({"100", "101", "102", "104"})


class FindingRuleError(FieldRefusal, ValueError):
    """What R9 refuses: 422 with `error_code` and the message under `field`."""

    def __init__(self, field: str, message: str, code: str):
        super().__init__(field, message, code, 422)
        self.code = code


@dataclass(frozen=True)
class Finding:
    """A finding as the rules see it. `quality_level` blank: the weld's."""

    code: str
    verdict: str
    quality_level: str = ""


@dataclass(frozen=True)
class Decision:
    result: str
    defect_type: str | None


def code_info(code: str) -> Code:
    try:
        return CODES[code]
    except KeyError:
        raise ValueError(f"Unknown ISO 6520-1 code {code!r}") from None


def legacy_code(defect_type: str) -> str:
    """The code a legacy `defect_type` becomes (the first of its list)."""
    try:
        return LEGACY_CODES[defect_type]
    except KeyError:
        raise ValueError(f"Unknown defect type {defect_type!r}") from None


def defect_type_of(code: str) -> str:
    return code_info(code).defect_type


def check_verdict(code: str, verdict: str, quality_level: str, *, field: str = "verdict") -> None:
    """A group-1 crack may not be accepted, except 104 at level D."""
    code_info(code)
    if verdict != ACCEPT or code not in CRACKS:
        return
    if code == "104" and quality_level == LEVEL_D:
        return
    label = CODES[code].label.lower()
    where = "" if code == "104" else " at any quality level"
    level = quality_level or "?"
    raise FindingRuleError(
        field,
        f"A {label} ({code}) cannot be accepted{where} (quality level {level}); "
        "only a crater crack (104) at level D may be.",
        CRACK_NOT_ACCEPTABLE,
    )


def decide(result: str | None, findings: Iterable[Finding], quality_level: str) -> Decision:
    """R9: the inspection's result and defect type from its findings (in their order).
    `result` None derives it; a given `result` must agree. No findings: `result` stands,
    with no defect type (a legacy fail is turned into a finding first: `legacy_code`)."""
    findings = list(findings)
    for finding in findings:
        check_verdict(finding.code, finding.verdict, finding.quality_level or quality_level, field="findings")
    rejected = [f for f in findings if f.verdict == REJECT]
    if not findings:
        return Decision(result or PASS, None)
    derived = FAIL if rejected else PASS
    if result is not None and result != derived:
        if result == FAIL:
            message = "A failed inspection needs a rejected finding; every finding is accepted."
        else:
            codes = ", ".join(f.code for f in rejected)
            message = f"A passed inspection cannot have rejected findings ({codes})."
        raise FindingRuleError("result", message, RESULT_CONTRADICTS_FINDINGS)
    return Decision(derived, defect_type_of(rejected[0].code) if rejected else None)

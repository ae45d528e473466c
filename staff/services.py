"""Writes on login users: role, employee link, password, and revocation of their tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

import structlog
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from staff import qualifications
from staff import welding_rules as rules
from staff.models import Employee, QualificationEvent, WelderQualification
from workshop.errors import Conflict
from workshop.history.records import UPDATED, record_pks
from workshop.roles import ADMIN, set_user_role
from workshop.users import user_revoke_tokens

log = structlog.get_logger(__name__)
User = get_user_model()
UNSET = object()


def _link_employee(user, employee: Employee | None) -> None:
    unlinked = list(
        Employee.objects.filter(user=user)
        .exclude(pk=getattr(employee, "pk", None))
        .values_list("pk", flat=True)
    )
    if unlinked:
        Employee.objects.filter(pk__in=unlinked).update(user=None)
        record_pks(Employee, unlinked, UPDATED)
    if employee is not None and employee.user_id != user.pk:
        employee.user = user
        employee.save(update_fields=["user", "updated_at"])


@transaction.atomic
def user_create(
    *, username: str, password: str, role: str | None, email: str = "", is_active: bool = True, employee=None
):
    user = User(username=username, email=email, is_active=is_active)
    user.set_password(password)
    user.save()
    set_user_role(user, role)
    user.save()
    _link_employee(user, employee)
    log.info("user.created", user_id=user.pk, role=role)
    return _reloaded(user)


@transaction.atomic
def user_update(*, user, actor, data: dict[str, Any]):
    """Changes a user. Deactivating (or a new password) revokes their refresh tokens; their
    access tokens stop working at once because every request re-reads the user."""
    role = data.get("role", UNSET)
    if user.pk == actor.pk:
        if data.get("is_active") is False:
            raise Conflict("You cannot deactivate yourself.")
        if role is not UNSET and role != ADMIN:
            raise Conflict("You cannot take away your own admin role.")
    for name in ("username", "email", "is_active"):
        if name in data:
            setattr(user, name, data[name])
    password = data.get("password")
    if password:
        user.set_password(password)
    if role is not UNSET:
        set_user_role(user, role)
    user.save()
    if "employee" in data:
        _link_employee(user, data["employee"])
    if data.get("is_active") is False or password:
        user_revoke_tokens(user=user)
    return _reloaded(user)


def _reloaded(user):
    """The user as stored, with the employee link as it is now."""
    return User.objects.select_related("employee").get(pk=user.pk)


@transaction.atomic
def user_delete(*, user, actor) -> None:
    if user.pk == actor.pk:
        raise Conflict("You cannot delete yourself.")
    user_revoke_tokens(user=user)
    user.delete()


# ---------------------------------------------------------------------------- welding (§8)
# The qualification actions (WELDING.md R4–R6): each checks with `staff.welding_rules` (which
# refuses with a RuleError, a domain error the API maps to its status and code) and records a
# QualificationEvent. The qualification's row is locked first: two actions on one
# qualification take turns, the second sees the first's event.


def _locked(qualification: WelderQualification) -> WelderQualification:
    return WelderQualification.objects.select_for_update().get(pk=qualification.pk)


def _known_events(qualification: WelderQualification) -> tuple[rules.Event, ...]:
    return qualifications.events_of([qualification.pk])[qualification.pk]


def _event(
    qualification, *, kind, on_date, user, evidence=(), override_reason="", note=""
) -> QualificationEvent:
    event = QualificationEvent.objects.create(
        qualification=qualification,
        kind=kind,
        on_date=on_date,
        by=user if user is not None and user.is_authenticated else None,
        created_by=user if user is not None and user.is_authenticated else None,
        evidence=[e.id for e in evidence],
        override_reason=override_reason or "",
        note=note or "",
    )
    log.info(
        "qualification.event",
        qualification=qualification.qualification_id,
        kind=kind,
        on_date=str(on_date),
        evidence=len(event.evidence),
        overridden=bool(override_reason),
    )
    return event


@transaction.atomic
def qualification_confirm(
    *,
    qualification: WelderQualification,
    confirmed_on: dt.date,
    user=None,
    override_reason: str = "",
    note: str = "",
) -> QualificationEvent:
    """R4 (ISO 9606-1 §9.2): a confirmation on `confirmed_on`, resting on the welder's weld-log
    entries in the process since the anchor, or on a manager's `override_reason`."""
    q = _locked(qualification)
    evidence = rules.confirmation(
        q.as_rule(),
        _known_events(q),
        qualifications.evidence_entries(q.employee_id, q.process),
        confirmed_on=confirmed_on,
        overridden=bool(override_reason),
    )
    return _event(
        q,
        kind=rules.CONFIRMATION,
        on_date=confirmed_on,
        user=user,
        evidence=evidence,
        override_reason=override_reason,
        note=note,
    )


@transaction.atomic
def qualification_confirm_many(
    *,
    qualification_ids: list[str],
    confirmed_on: dt.date,
    user=None,
    override_reason: str = "",
    note: str = "",
) -> list[QualificationEvent]:
    """R4 for several qualifications, all or nothing: the first refusal names its
    qualification and nothing is recorded."""
    wanted = list(dict.fromkeys(qualification_ids))
    found = {
        q.qualification_id: q
        for q in WelderQualification.objects.select_for_update().filter(qualification_id__in=wanted)
    }
    missing = [key for key in wanted if key not in found]
    if missing:
        raise rules.RuleError("qualification_ids", f"No qualification {', '.join(missing)}.")
    events = []
    for key in wanted:
        try:
            events.append(
                qualification_confirm(
                    qualification=found[key],
                    confirmed_on=confirmed_on,
                    user=user,
                    override_reason=override_reason,
                    note=note,
                )
            )
        except rules.RuleError as exc:
            raise rules.RuleError(exc.field, f"{key}: {exc.message}", exc.code, exc.status) from exc
    return events


@transaction.atomic
def qualification_revalidate(
    *, qualification: WelderQualification, revalidated_on: dt.date, user=None, note: str = ""
) -> QualificationEvent:
    """R5 (ISO 9606-1 §9.3b): valid_until + 24 months, resting on two welds with a passing RT
    or UT inspection in the last 6 months of validity; it counts as a confirmation."""
    q = _locked(qualification)
    evidence = rules.revalidation(
        q.as_rule(),
        _known_events(q),
        qualifications.evidence_entries(q.employee_id, q.process),
        revalidated_on=revalidated_on,
        iso3834_part=qualifications.iso3834_part(),
    )
    return _event(q, kind=rules.REVALIDATION, on_date=revalidated_on, user=user, evidence=evidence, note=note)


@transaction.atomic
def qualification_renew(
    *, qualification: WelderQualification, test_date: dt.date, user=None, note: str = ""
) -> QualificationEvent:
    """R6 (ASME IX QW-322.2(a), AWS D1.1): a new test restarts the continuity chain."""
    q = _locked(qualification)
    rules.renewal(q.as_rule(), _known_events(q), test_date=test_date)
    return _event(q, kind=rules.RENEWAL, on_date=test_date, user=user, note=note)


@transaction.atomic
def qualification_revoke(
    *, qualification: WelderQualification, reason: str, revoked_on: dt.date | None = None, user=None
) -> QualificationEvent:
    """R6: revoked for good (ISO 9606-1 §9.4, QW-322.1(b)); a second revocation is a 409."""
    q = _locked(qualification)
    rules.revocation(_known_events(q), reason=reason)
    return _event(
        q, kind=rules.REVOCATION, on_date=revoked_on or timezone.localdate(), user=user, note=reason.strip()
    )

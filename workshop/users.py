"""What the core itself does to login users: revoking their refresh tokens (SimpleJWT's
blacklist) and ending their access tokens (a version the request's user query reads) — on
logout, and on logout-everywhere moments such as a password change here in the core, and
from the staff app's user services and admin (deactivation, a new password, deletion)."""

from __future__ import annotations

import structlog
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

log = structlog.get_logger(__name__)


def access_token_version(user) -> int:
    """The version the user's new access tokens carry (`ver`)."""
    from workshop.models import AccessTokenVersion

    return AccessTokenVersion.objects.filter(user=user).values_list("version", flat=True).first() or 0


def user_end_access_tokens(*, user) -> None:
    """Ends every access token already issued to the user, at once (their next request is a
    401): the version they carry is no longer the user's."""
    from django.db.models import F

    from workshop.models import AccessTokenVersion

    if not AccessTokenVersion.objects.filter(user=user).update(version=F("version") + 1):
        AccessTokenVersion.objects.get_or_create(user=user, defaults={"version": 1})
    log.info("user.access_tokens_ended", user_id=user.pk)


def user_revoke_tokens(*, user) -> int:
    """Revokes every refresh token the user still holds and ends the access tokens already
    issued (and logs it); returns how many refresh tokens."""
    user_end_access_tokens(user=user)
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    log.info("user.tokens_revoked", user_id=user.pk, revoked=len(revoked))
    return len(revoked)

"""What the core itself does to login users: revoking their refresh tokens (SimpleJWT's
blacklist) — on logout-everywhere moments such as a password change here in the core, and
from the staff app's user services and admin (deactivation, a new password, deletion)."""

from __future__ import annotations

import structlog
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

log = structlog.get_logger(__name__)


def user_revoke_tokens(*, user) -> int:
    """Revokes every refresh token the user still holds (and logs it); returns how many."""
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    log.info("user.tokens_revoked", user_id=user.pk, revoked=len(revoked))
    return len(revoked)

"""Authentication classes of the API (kept free of view imports: DRF loads them early)."""

import functools

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from workshop.roles import role_subquery

# The claim an access token carries its user's access-token version in (workshop.users).
ACCESS_VERSION_CLAIM = "ver"


@functools.cache
def _users_with_role():
    """The users, each annotated with their role: built once per process (a queryset is a
    lazy description; each request's `.filter()` copies it), as building the role subquery
    anew cost about half a millisecond a request."""
    from workshop.models import AccessTokenVersion

    version = AccessTokenVersion.objects.filter(user=OuterRef("pk")).values("version")[:1]
    return get_user_model().objects.annotate(
        role_name=role_subquery(), access_version=Coalesce(Subquery(version), 0)
    )


class JWTAuthentication(BaseJWTAuthentication):
    """SimpleJWT's authentication, loading the user, their role and their access-token
    version in one query. Like the original it re-reads the user on every request, so a
    deactivated user is refused at once; an access token issued before a logout or a
    password change (an older `ver`) is refused at once too."""

    def get_user(self, validated_token):
        try:
            user_id = validated_token[jwt_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        user = _users_with_role().filter(**{jwt_settings.USER_ID_FIELD: user_id}).first()
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if validated_token.get(ACCESS_VERSION_CLAIM, 0) != user.access_version:
            raise AuthenticationFailed(
                "Token has been revoked (logout or password change)", code="token_revoked"
            )
        return user

"""Login over SimpleJWT in the spec's shapes: /api/v1/auth/login, refresh, logout, me.

Refresh tokens rotate; the old one is revoked through SimpleJWT's blacklist app.
Access tokens are checked against the user on every request (JWTAuthentication re-reads
the user), so a deactivated user is locked out at once.
"""

from __future__ import annotations

import jwt
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.tokens import RefreshToken

from workshop.api.authentication import ACCESS_VERSION_CLAIM
from workshop.api.fields import TextField
from workshop.api.serializers import MessageSerializer, Serializer
from workshop.roles import ROLES, user_role
from workshop.users import (
    access_token_version,
    user_end_access_tokens,
    user_revoke_tokens,
)


class LoginSerializer(Serializer):
    username = TextField(max_length=150)
    password = TextField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class RefreshSerializer(Serializer):
    schema_example = {"refresh_token": "eyJhbGciOi…"}

    refresh_token = TextField(max_length=4096)


class TokenPairSerializer(serializers.Serializer):
    answers_every_field = True  # `token_type` too, though it has a default
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")


class MeSerializer(serializers.Serializer):
    schema_example = {
        "id": 3,
        "username": "jdoe",
        "email": "john.doe@example.com",
        "role": "operator",
        "employee_id": "EMP-01",
    }

    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    role = serializers.ChoiceField(choices=ROLES, allow_null=True, help_text="null: no role (no access).")
    employee_id = serializers.CharField(allow_null=True)


def token_pair(refresh: RefreshToken, user) -> dict:
    """A new pair; the access token carries the user's access-token version (`ver`)."""
    refresh[ACCESS_VERSION_CLAIM] = access_token_version(user)  # copied into the access token
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
        "expires_in": int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()),
    }


PAIR_EXAMPLE = OpenApiExample(
    "Tokens",
    value={
        "access_token": "eyJhbGciOi…",
        "refresh_token": "eyJhbGciOi…",
        "token_type": "bearer",
        "expires_in": 900,
    },
    response_only=True,
)


class LoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    ratelimit_scope = "auth"
    extra_error_codes = ("401", "422")

    @extend_schema(
        tags=["auth"],
        summary="Log in",
        request=LoginSerializer,
        responses={200: TokenPairSerializer},
        examples=[
            OpenApiExample("Login", value={"username": "admin", "password": "…"}, request_only=True),
            PAIR_EXAMPLE,
        ],
    )
    def post(self, request):
        data = LoginSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        user = authenticate(
            request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if user is None or not user.is_active:
            raise AuthenticationFailed("Wrong username or password.")
        update_last_login(None, user)
        return Response(token_pair(RefreshToken.for_user(user), user))


class RefreshView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    ratelimit_scope = "auth"
    extra_error_codes = ("401", "422")

    @extend_schema(
        tags=["auth"],
        summary="Exchange a refresh token for a new pair (the old one is revoked)",
        request=RefreshSerializer,
        responses={200: TokenPairSerializer},
        examples=[PAIR_EXAMPLE],
    )
    def post(self, request):
        data = RefreshSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        try:
            old = RefreshToken(data.validated_data["refresh_token"])
            user_id = old.payload.get(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id"))
            user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
            if user is None:
                raise AuthenticationFailed("The user of this token is inactive or gone.")
            old.blacklist()
        except TokenError as exc:
            raise AuthenticationFailed(f"Refresh token is invalid, expired or revoked ({exc}).") from exc
        return Response(token_pair(RefreshToken.for_user(user), user))


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]
    extra_error_codes = ("401", "422")

    @extend_schema(
        tags=["auth"],
        summary="Log out (revoke a refresh token; one already revoked or expired is fine too)",
        request=RefreshSerializer,
        responses={200: MessageSerializer},
        examples=[
            OpenApiExample("Logged out", value={"message": "Logged out successfully"}, response_only=True)
        ],
    )
    def post(self, request):
        data = RefreshSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        raw = data.validated_data["refresh_token"]
        try:
            token = RefreshToken(raw)
        except TokenError as exc:
            # Revoked already (a password change, an earlier logout) or expired: the session is
            # over, so logging out again succeeds — if the token is genuinely this user's.
            payload = _ended_refresh_payload(raw)
            if payload is None:
                raise AuthenticationFailed(f"Refresh token is invalid ({exc}).") from exc
            token = None
        else:
            payload = token.payload
        if str(payload.get(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id"))) != str(request.user.pk):
            raise AuthenticationFailed("This refresh token belongs to another user.")
        if token is not None:
            token.blacklist()
        user_end_access_tokens(user=request.user)  # this access token too, at once
        return Response({"message": "Logged out successfully"})


def _ended_refresh_payload(raw: str) -> dict | None:
    """The payload of a refresh token this server signed, whether or not it has expired or
    been revoked; None for anything else (a bad signature, another kind of token, garbage)."""
    try:
        payload = jwt.decode(
            raw,
            token_backend.get_verifying_key(raw),
            algorithms=[token_backend.algorithm],
            audience=token_backend.audience,
            issuer=token_backend.issuer,
            options={"verify_aud": token_backend.audience is not None, "verify_exp": False},
        )
    except jwt.InvalidTokenError:
        return None
    token_type_claim = settings.SIMPLE_JWT.get("TOKEN_TYPE_CLAIM", "token_type")
    return payload if payload.get(token_type_claim) == RefreshToken.token_type else None


class PasswordChangeSerializer(Serializer):
    schema_example = {
        "old_password": "the-current-passphrase",
        "new_password": "a-longer-new-passphrase-2025",
    }

    old_password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )
    new_password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )

    def validate_old_password(self, value):
        if not self.context["request"].user.check_password(value):
            raise serializers.ValidationError("The current password is wrong.")
        return value

    def validate_new_password(self, value):
        try:
            validate_password(value, self.context["request"].user)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from exc
        return value


class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary="Change your own password (other sessions' refresh tokens are revoked)",
        request=PasswordChangeSerializer,
        responses={200: MessageSerializer},
        examples=[
            OpenApiExample("Changed", value={"message": "Password changed successfully"}, response_only=True)
        ],
    )
    def post(self, request):
        data = PasswordChangeSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        user = request.user
        user.set_password(data.validated_data["new_password"])
        user.save(update_fields=["password"])
        user_revoke_tokens(user=user)
        return Response({"message": "Password changed successfully"})


class WsTicketSerializer(serializers.Serializer):
    schema_example = {"ticket": "q3Jx9V0b5m2kT8yZcW1eR4uH7pN6aL0sD2fG5hJ8kQ", "expires_in": 60}

    ticket = serializers.CharField(help_text="Send it as `?ticket=` when opening `/ws/v1/events`.")
    expires_in = serializers.IntegerField(help_text="Seconds the ticket stays valid (one connection).")


class WsTicketView(APIView):
    """A ticket for the live-events socket (`/ws/v1/events?ticket=…`): browsers cannot send
    the `Authorization` header on a WebSocket, and a JWT in a URL would end up in logs. The
    ticket is good for one connection, within 60 seconds (workshop/events/tickets.py)."""

    permission_classes = [IsAuthenticated]
    schema_error_codes = ("401", "429", "503")

    @extend_schema(
        tags=["auth"],
        summary="Get a single-use ticket for the live-events WebSocket",
        request=None,
        responses={200: WsTicketSerializer},
    )
    def post(self, request):
        from workshop.errors import ServiceUnavailable
        from workshop.events.tickets import TicketStoreUnavailable, issue

        try:
            return Response(issue(request.user))
        except TicketStoreUnavailable as exc:
            raise ServiceUnavailable("The ticket store is unavailable; try again shortly.") from exc


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["auth"], summary="The logged-in user", responses={200: MeSerializer})
    def get(self, request):
        user = request.user
        employee = getattr(user, "employee", None)
        return Response(
            {
                "id": user.pk,
                "username": user.get_username(),
                "email": user.email,
                "role": user_role(user),
                "employee_id": employee.employee_id if employee else None,
            }
        )

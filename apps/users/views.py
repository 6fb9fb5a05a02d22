"""Auth endpoints (cookie JWT for the SPA, bearer tokens for scripts) and user administration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.middleware.csrf import get_token, rotate_token
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.codes import ErrorCode
from apps.core.etag import etag_of
from apps.core.serializers import reject_body
from apps.core.throttling import (
    AnonRateThrottle,
    LoginAnonRateThrottle,
    LoginScopedRateThrottle,
    ScopedRateThrottle,
)
from apps.users import services
from apps.users.authentication import enforce_csrf
from apps.users.models import User
from apps.users.permissions import IsAdmin
from apps.users.serializers import (
    LoginInputSerializer,
    RefreshInputSerializer,
    TokenPairSerializer,
    UserSerializer,
    UserWriteSerializer,
)


def _set_auth_cookies(response: Response, refresh: RefreshToken) -> None:
    conf = settings.AUTH_COOKIES
    jwt = settings.SIMPLE_JWT
    common: dict[str, Any] = {
        "httponly": True,
        "secure": conf["SECURE"],
        "samesite": conf["SAMESITE"],
    }
    response.set_cookie(
        conf["ACCESS"],
        str(refresh.access_token),
        max_age=int(jwt["ACCESS_TOKEN_LIFETIME"].total_seconds()),
        path="/",
        **common,
    )
    response.set_cookie(
        conf["REFRESH"],
        str(refresh),
        max_age=int(jwt["REFRESH_TOKEN_LIFETIME"].total_seconds()),
        path=conf["REFRESH_PATH"],
        **common,
    )


def _delete_auth_cookies(response: Response) -> None:
    conf = settings.AUTH_COOKIES
    response.delete_cookie(conf["ACCESS"], path="/", samesite=conf["SAMESITE"])
    response.delete_cookie(conf["REFRESH"], path=conf["REFRESH_PATH"], samesite=conf["SAMESITE"])


def _log_in(request: Request) -> tuple[User, RefreshToken]:
    """The user of the email and password in the body, and a new refresh token for them."""
    data = LoginInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    email, password = data.validated_data["email"], data.validated_data["password"]
    user: User | None = authenticate(request._request, username=email, password=password)  # type: ignore[assignment]
    if user is None or not user.is_active:
        raise AuthenticationFailed(
            "Email or password is wrong.", code=ErrorCode.INVALID_CREDENTIALS
        )
    return user, services.tokens_issue(user=user)


def _cookie_response(user: User, refresh: RefreshToken) -> Response:
    """The cookie flow's answer: the user in the body, the tokens in HttpOnly cookies."""
    response = Response({"user": UserSerializer(user).data})
    _set_auth_cookies(response, refresh)
    return response


def _token_pair(refresh: RefreshToken) -> Response:
    """The bearer flow's answer: both tokens in the body."""
    return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class AuthView(APIView):
    """Base for the auth endpoints: no prior authentication, throttled by scope and address."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, ScopedRateThrottle]

    def get_authenticate_header(self, request: Request) -> str:
        # Keeps failed logins 401 (DRF turns 401 into 403 for views without authenticators).
        return 'Bearer realm="api"'


class CsrfView(AuthView):
    """GET csrf/: sets the csrftoken cookie the SPA sends back as X-CSRFToken."""

    throttle_classes = [AnonRateThrottle]

    @extend_schema(responses={204: None}, summary="Set the CSRF cookie")
    @method_decorator(ensure_csrf_cookie)
    def get(self, request: Request) -> Response:
        get_token(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# The login endpoints' throttles never fail open: with the cache down they answer 503.
LOGIN_THROTTLES: list[type[BaseThrottle]] = [LoginAnonRateThrottle, LoginScopedRateThrottle]


class LoginView(AuthView):
    """POST login/: email and password in, HttpOnly JWT cookies out (CSRF-checked)."""

    throttle_classes = LOGIN_THROTTLES
    throttle_scope = "login"

    @extend_schema(
        request=LoginInputSerializer, responses={200: UserSerializer}, summary="Log in (cookie JWT)"
    )
    def post(self, request: Request) -> Response:
        enforce_csrf(request)
        user, refresh = _log_in(request)
        rotate_token(request._request)  # a new CSRF secret for the new session
        return _cookie_response(user, refresh)


class RefreshCookieView(AuthView):
    """Base of refresh/ and logout/: CSRF-checked, no body, the refresh token from its cookie
    (which only /api/v1/auth/ requests carry)."""

    def refresh_cookie(self, request: Request) -> str | None:
        enforce_csrf(request)
        reject_body(request)
        return request.COOKIES.get(settings.AUTH_COOKIES["REFRESH"])


class RefreshView(RefreshCookieView):
    """POST refresh/: rotates both cookies; the old refresh token is blacklisted."""

    throttle_scope = "refresh"

    @extend_schema(request=None, responses={200: UserSerializer}, summary="Rotate the cookies")
    def post(self, request: Request) -> Response:
        raw = self.refresh_cookie(request)
        if not raw:
            raise NotAuthenticated("No refresh token cookie.", code=ErrorCode.NO_REFRESH_TOKEN)
        return _cookie_response(*services.tokens_rotate(raw_refresh=raw))


class LogoutView(RefreshCookieView):
    """POST logout/: blacklists the refresh token and deletes the cookies."""

    throttle_scope = "logout"

    @extend_schema(request=None, responses={204: None}, summary="Log out")
    def post(self, request: Request) -> Response:
        raw = self.refresh_cookie(request)
        if raw:
            services.tokens_revoke(raw_refresh=raw)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        _delete_auth_cookies(response)
        return response


class MeView(APIView):
    """GET me/: the authenticated user, with role and scope."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UserSerializer}, summary="The current user")
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)


class TokenObtainView(AuthView):
    """POST token/: bearer tokens in the body, for scripts (no cookies, no CSRF)."""

    throttle_classes = LOGIN_THROTTLES
    throttle_scope = "login"

    @extend_schema(
        request=LoginInputSerializer,
        responses={200: TokenPairSerializer},
        summary="Obtain bearer tokens",
    )
    def post(self, request: Request) -> Response:
        _, refresh = _log_in(request)
        return _token_pair(refresh)


class TokenRefreshView(AuthView):
    """POST token/refresh/: a new bearer pair for a refresh token; the old one is blacklisted."""

    throttle_scope = "refresh"

    @extend_schema(
        request=RefreshInputSerializer,
        responses={200: TokenPairSerializer},
        summary="Refresh bearer tokens",
    )
    def post(self, request: Request) -> Response:
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _, refresh = services.tokens_rotate(raw_refresh=data.validated_data["refresh"])
        return _token_pair(refresh)


@extend_schema(responses=UserSerializer)
class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """users/: accounts, roles and manager scopes (HR admins only)."""

    permission_classes = [IsAdmin]
    queryset = User.objects.select_related("employee").prefetch_related("scope").order_by("id")
    filterset_fields = ("role", "is_active")
    search_fields = ("email", "full_name")
    ordering_fields = ("id", "email", "role", "date_joined")

    def get_serializer_class(self) -> type:
        if self.action in ("create", "update", "partial_update"):
            return UserWriteSerializer
        return UserSerializer

    @extend_schema(request=UserWriteSerializer, responses={201: UserSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = UserWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        return Response(UserSerializer(user).data, headers={"ETag": etag_of(user)})

    @extend_schema(request=UserWriteSerializer, responses={200: UserSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        data = UserWriteSerializer(user, data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        user = services.user_update(
            user=user, if_match=request.headers.get("If-Match"), **data.validated_data
        )
        return Response(UserSerializer(user).data, headers={"ETag": etag_of(user)})

    @extend_schema(request=None, responses={200: UserSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        """Deactivate the account and revoke its refresh tokens."""
        user = self.get_object()
        reject_body(request)
        user = services.user_deactivate(user=user)
        return Response(UserSerializer(user).data)

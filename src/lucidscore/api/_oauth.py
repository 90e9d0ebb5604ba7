"""Authlib's framework-agnostic OAuth 2.0 server (RFC 6749 authorization code grant, RFC 7636 PKCE, RFC 7009
revocation), adapted to Starlette requests and to ``lucidscore.service`` (issue 12).

Authlib parses and checks the protocol (parameters, client authentication, errors, the PKCE comparison);
the service keeps the data (clients, codes, consents). One server is built per request, bound to that
request's database session, in the endpoint's own thread hop. Like Authlib's Flask and Django
integrations, the request wrapper hands it the method, URL, headers, query and form of the request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from authlib.oauth2 import rfc6749, rfc7009, rfc7636
from authlib.oauth2.rfc6749 import grants
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from lucidscore import service
from lucidscore.api._shards import issuing_shard
from lucidscore.api._state import ServiceState

SUPPORTED_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


class _Payload(rfc6749.OAuth2Payload):
    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._data.setdefault(key, value)
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(rfc6749.OAuth2Request):
    """A Starlette request for Authlib: query and (already parsed) form fields, as Flask's ``values``."""

    def __init__(self, request: Request, form: Sequence[tuple[str, str]]) -> None:
        super().__init__(method=request.method, uri=str(request.url), headers=request.headers)
        query = list(request.query_params.multi_items())
        self._args = dict(query)
        self._form = dict(reversed(form))  # the first value of a repeated field, as Werkzeug's get()
        self.payload = _Payload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class Client(rfc6749.ClientMixin):
    """A merchant as Authlib sees a client: confidential, authorization code only, one scope per request."""

    def __init__(self, db: Session, ref: service.OAuthClient, products: Sequence[str]) -> None:
        self.db, self.ref, self.products = db, ref, products

    def get_client_id(self) -> str:
        return self.ref.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # the request must name its redirect_uri, which must be registered

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The one product asked for; None (``invalid_scope``) for no product, several, or an unknown one."""
        words = (scope or "").split()
        return words[0] if len(words) == 1 and words[0] in self.products else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.ref.redirect_uris  # exact match only

    def check_client_secret(self, client_secret: str) -> bool:
        return service.client_secret_matches(self.db, self.ref, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in SUPPORTED_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class Code(rfc6749.AuthorizationCodeMixin):
    def __init__(self, grant: service.CodeGrant) -> None:
        self.grant = grant
        self.code_challenge = grant.code_challenge
        self.code_challenge_method = grant.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.grant.redirect_uri

    def get_scope(self) -> str:
        return self.grant.purpose


class Token(rfc6749.TokenMixin):
    """A consent token presented for revocation."""

    def __init__(self, client: Client, token: str, own: bool) -> None:
        self.client, self.token, self.own = client, token, own

    def check_client(self, client: Client) -> bool:
        return self.own


class S256Required(rfc7636.CodeChallenge):
    """PKCE required on every authorization request, with S256 only (RFC 7636; no "plain", no default)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 (Authlib's class attribute)
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise rfc6749.InvalidRequestError("Missing 'code_challenge': PKCE with S256 is required.")
        if data.get("code_challenge_method") != "S256":
            raise rfc6749.InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise rfc6749.InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(SUPPORTED_AUTH_METHODS)  # noqa: RUF012

    server: Server

    def generate_authorization_code(self) -> str:
        """Authlib's code (48 random letters and digits), marked with the consumer's shard in a service over
        several shards (``s1.<code>``: the token endpoint then reads that shard only)."""
        code: str = super().generate_authorization_code()
        return service.shard_mark(issuing_shard(self.server.db)) + code

    def save_authorization_code(self, code: str, request: rfc6749.OAuth2Request) -> None:
        """Keep the code Authlib generated (48 random letters and digits) as its digest, with what it stands
        for: the consumer, the product, the redirect URI, the PKCE challenge, the consent's terms."""
        s = self.server.state.settings
        service.issue_code(
            self.server.db,
            code,
            request.client.ref,
            request.user.consumer_id,
            request.scope,
            request.payload.redirect_uri,
            request.payload.data["code_challenge"],
            request.payload.data["code_challenge_method"],
            days=min(s.oauth_consent_days, s.consent_max_days),
            max_decisions=s.oauth_decisions,
            lifetime_seconds=s.oauth_code_seconds,
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        grant = service.find_code(self.server.db, code, client.ref)
        return Code(grant) if grant is not None else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """Nothing: redeeming marked it used (``save_token``); the row stays to detect a reuse."""

    def authenticate_user(self, authorization_code: Code) -> str:
        return authorization_code.grant.consumer_id


class RevocationEndpoint(rfc7009.RevocationEndpoint):
    CLIENT_AUTH_METHODS = list(SUPPORTED_AUTH_METHODS)  # noqa: RUF012
    SUPPORTED_TOKEN_TYPES = ("access_token",)

    server: Server

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        consent = service.consent_by_token(self.server.db, token_string)
        if consent is None:
            return None
        client = self.server.request_client
        assert client is not None  # set by authenticate_token, which calls this
        return Token(client, token_string, consent.merchant_id == client.ref.id)

    def authenticate_token(self, request: rfc6749.OAuth2Request, client: Client) -> Token | None:
        self.server.request_client = client
        token: Token | None = super().authenticate_token(request, client)
        return token

    def revoke_token(self, token: Token, request: rfc6749.OAuth2Request) -> None:
        service.revoke_token_of(self.server.db, token.client.ref, token.token)


class Server(rfc6749.AuthorizationServer):
    """The authorization server of one request."""

    def __init__(self, db: Session, state: ServiceState) -> None:
        self.products = list(state.catalogues.current(db).catalogue.products)
        super().__init__(scopes_supported=self.products)
        self.db, self.state = db, state
        self.request_client: Client | None = None
        self.register_grant(AuthorizationCodeGrant, [S256Required(required=True)])
        self.register_endpoint(RevocationEndpoint)
        self.register_token_generator("default", self._token)

    def query_client(self, client_id: str) -> Client | None:
        ref = service.oauth_client(self.db, client_id)
        return Client(self.db, ref, self.products) if ref is not None else None

    def _token(
        self, grant_type: str, client: Client, user: Any = None, scope: Any = None, **_: Any
    ) -> dict[str, Any]:
        # The token itself is made when the code is redeemed (save_token): nothing is issued before the
        # code is claimed.
        return {"token_type": "Bearer", "scope": scope}

    def save_token(self, token: dict[str, Any], request: rfc6749.OAuth2Request) -> None:
        try:
            consent, secret = service.redeem_code(
                self.db, request.authorization_code.grant, shard=issuing_shard(self.db)
            )
        except service.Conflict:
            raise rfc6749.InvalidGrantError("The code was used already or has expired.") from None
        token["access_token"] = secret
        token["expires_in"] = max(1, int((service.aware(consent.expires_at) - service.now()).total_seconds()))
        if consent.decisions_left is not None:
            # An extension field (RFC 6749 section 5.1 allows them); clients ignore what they do not know.
            token["decisions"] = consent.decisions_left

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signals."""

    def create_oauth2_request(self, request: Any) -> rfc6749.OAuth2Request:
        if isinstance(request, rfc6749.OAuth2Request):
            return request
        raise TypeError("pass a StarletteOAuth2Request")

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError("no JSON endpoints")

    def handle_response(self, status: int, body: Any, headers: Sequence[tuple[str, str]]) -> Response:
        if isinstance(body, dict):
            response: Response = JSONResponse(body, status_code=status)
        else:
            response = Response(body or b"", status_code=status)
        for name, value in headers:
            response.headers[name] = value
        return response

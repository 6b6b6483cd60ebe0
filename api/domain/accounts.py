"""Accounts, grants and API tokens: creating them, and turning a bearer token into an Actor."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from tortoise.expressions import Q

from api.domain import validation
from api.domain.clock import local, now
from api.domain.errors import DomainError
from api.domain.permissions import Actor, Grant, Unauthenticated
from api.models.accounts import Account, ApiToken
from api.models.accounts import Grant as GrantRow
from api.models.accounts import Role
from api.models.sites import Site

TOKEN_PREFIX = "wm_"
# Tokens are 256 random bits, so a plain SHA-256 is enough: a slow KDF protects guessable
# secrets (passwords), and would cost every request a few hundred milliseconds.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


async def create_account(username: str, display_name: str = "") -> Account:
    username = validation.text(username, "username", max_length=64)
    if await Account.filter(username=username).exists():
        raise DomainError(f"an account named {username!r} already exists", field="username", code="DUPLICATE")
    return await Account.create(username=username, display_name=validation.text(display_name, "displayName", max_length=50, required=False))


async def grant(account: Account, site: Site, role: Role) -> GrantRow:
    """Give (or change) an account's role on a site's subtree."""
    row, created = await GrantRow.get_or_create(account=account, site=site, defaults={"role": role})
    if not created and row.role != role:
        row.role = role
        await row.save(update_fields=["role"])
    return row


async def create_token(
    name: str,
    *,
    account: Account | None = None,
    site: Site | None = None,
    role: Role | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once; only the hash is kept)."""
    name = validation.text(name, "name", max_length=100)
    if account is None and (site is None or role is None):
        raise DomainError("a service token needs a site and a role", field="siteId", code="REQUIRED")
    if account is not None and (site is not None or role is not None):
        raise DomainError("a personal token acts with its account's grants; give no site or role", field="siteId", code="INVALID")
    if expires_at is not None and expires_at <= now():
        raise DomainError("expiresAt must be in the future", field="expiresAt", code="IN_THE_PAST")
    secret = new_secret()
    token = await ApiToken.create(
        name=name, token_hash=hash_token(secret), prefix=secret[:8], account=account, site=site, role=role,
        expires_at=local(expires_at) if expires_at else None,
    )
    return token, secret


async def revoke_token(token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = now()
        await token.save(update_fields=["revoked_at"])
    return token


def token_label(token: ApiToken) -> str:
    return f"token {token.name} ({token.prefix}…)"


async def authenticate(authorization: str | None) -> Actor | None:
    """The Actor for an Authorization header; None when there is none (anonymous)."""
    if not authorization:
        return None
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    token = await ApiToken.get_or_none(token_hash=hash_token(secret.strip())).select_related("account", "site")
    if token is None:
        raise Unauthenticated("this API token is not known")
    moment = now()
    if token.revoked_at is not None:
        raise Unauthenticated(f"this API token was revoked on {local(token.revoked_at):%Y-%m-%d %H:%M}")
    if token.expires_at is not None and token.expires_at <= moment:
        raise Unauthenticated(f"this API token expired on {local(token.expires_at):%Y-%m-%d %H:%M}")
    if token.account is not None and token.account.disabled_at is not None:
        raise Unauthenticated(f"the account {token.account.username} is disabled")
    if token.last_used_at is None or moment - token.last_used_at > LAST_USED_RESOLUTION:
        await ApiToken.filter(id=token.id).update(last_used_at=moment)
    if token.account is None:
        grants = (Grant(token.site.path, token.site.name, token.role),)
        return Actor(label=token_label(token), token_id=token.id, grants=grants)
    rows = await GrantRow.filter(account_id=token.account_id).select_related("site").filter(Q(site__deleted_at__isnull=True))
    grants = tuple(Grant(r.site.path, r.site.name, r.role) for r in rows)
    return Actor(label=f"account {token.account.username}", account_id=token.account_id, token_id=token.id, grants=grants)

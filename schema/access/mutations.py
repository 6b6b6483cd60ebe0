"""Managing access: accounts, role grants and API tokens (ADMIN of the subtree concerned)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from api.domain import accounts
from api.domain.clock import local, now
from api.domain.errors import DomainError, NotFound
from api.domain.writes import Write
from api.models.accounts import Account, ApiToken, Grant, Role
from api.models.sites import Site as SiteRow
from schema.core.context import Info
from schema.core.enums import RoleEnum
from schema.core.inputs import load
from schema.core.mutation import UserError, perform


@strawberry.type(description="An API token as lists show it: never its secret.")
class TokenInfo:
    id: strawberry.ID = strawberry.field(description="Token number (for revokeToken)")
    name: str = strawberry.field(description="What it is for")
    prefix: str = strawberry.field(description="Its first characters, to recognise it")
    role: RoleEnum | None = strawberry.field(description="A service token's role (null: acts with its account's roles)")
    site_name: str | None = strawberry.field(description="A service token's site (its subtree is covered)")
    expires_at: datetime | None = strawberry.field(description="When it stops working (null: never)")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked")

    @classmethod
    def from_row(cls, row: ApiToken, site: SiteRow | None) -> TokenInfo:
        return cls(
            id=strawberry.ID(str(row.id)), name=row.name, prefix=row.prefix,
            role=RoleEnum(row.role.value) if row.role else None, site_name=site.name if site else None,
            expires_at=local(row.expires_at) if row.expires_at else None,
            revoked_at=local(row.revoked_at) if row.revoked_at else None,
        )


@strawberry.type(description="The result of creating or revoking a token.")
class TokenPayload:
    token: TokenInfo | None = strawberry.field(default=None, description="The token; null when errors is not empty")
    secret: str | None = strawberry.field(
        default=None, description="The bearer secret, on creation only: shown once, only its hash is kept"
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Empty on success")


@strawberry.type(description="The result of creating an account or changing its roles.")
class AccountPayload:
    username: str | None = strawberry.field(default=None, description="The account; null when errors is not empty")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Empty on success")


@strawberry.input(description="A service token (a kiosk, a portal back end) acting with one role on one subtree.")
class CreateServiceTokenInput:
    name: str = strawberry.field(description="What it is for, e.g. 洛江区大屏")
    site_id: relay.GlobalID = strawberry.field(description="The site whose subtree it acts on")
    role: RoleEnum = strawberry.field(description="VIEWER for a read-only kiosk; EDITOR for a portal back end")
    expires_at: datetime | None = strawberry.field(default=None, description="When it stops working (default: never)")


@strawberry.input(description="A personal token for the calling account (acts with the account's roles).")
class CreatePersonalTokenInput:
    name: str = strawberry.field(description="What it is for, e.g. 办公室电脑")
    expires_at: datetime | None = strawberry.field(default=None, description="When it stops working (default: never)")


@strawberry.input(description="A token to revoke.")
class RevokeTokenInput:
    id: strawberry.ID = strawberry.field(description="Token number (TokenInfo.id)")


@strawberry.input(description="A new account with a role on a site subtree.")
class CreateAccountInput:
    username: str = strawberry.field(description="Login name, unique, up to 64 characters")
    display_name: str = strawberry.field(default="", description="Name as shown, e.g. 张伟")
    site_id: relay.GlobalID = strawberry.field(description="Where the role is held")
    role: RoleEnum = strawberry.field(description="The role")


@strawberry.input(description="Give an account a role on a site subtree (or change it), or take it away.")
class GrantRoleInput:
    username: str = strawberry.field(description="The account")
    site_id: relay.GlobalID = strawberry.field(description="Where the role is held")
    role: RoleEnum | None = strawberry.field(description="The role; null takes the account's role on this site away")


async def _admin_site(write: Write, gid: relay.GlobalID, field: str) -> SiteRow:
    site = await load(SiteRow, gid, "Site", field)
    write.actor.require(Role.ADMIN, site.path, where=f"managing access to {site.name}", field=field)
    return site


def _expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is not None and expires_at <= now():
        raise DomainError("expiresAt must be in the future", field="expiresAt", code="IN_THE_PAST")
    return expires_at


async def _create_service_token(write: Write, input: CreateServiceTokenInput) -> TokenPayload:
    site = await _admin_site(write, input.site_id, "siteId")
    token, secret = await accounts.create_token(
        input.name, site=site, role=Role(input.role.value), expires_at=_expiry(input.expires_at)
    )
    await write.audit("CREATE", token, site_path=site.path)
    return TokenPayload(token=TokenInfo.from_row(token, site), secret=secret)


async def _create_personal_token(write: Write, input: CreatePersonalTokenInput) -> TokenPayload:
    if write.actor.account_id is None:
        raise DomainError("only an account has personal tokens; this is a service token", code="FORBIDDEN")
    account = await Account.get(id=write.actor.account_id)
    token, secret = await accounts.create_token(input.name, account=account, expires_at=_expiry(input.expires_at))
    await write.audit("CREATE", token, site_path=None)
    return TokenPayload(token=TokenInfo.from_row(token, None), secret=secret)


async def _revoke_token(write: Write, input: RevokeTokenInput) -> TokenPayload:
    token = await ApiToken.get_or_none(id=int(input.id) if str(input.id).isdigit() else -1).select_related("site")
    if token is None:
        raise NotFound("token", input.id, field="id")
    if token.account_id is None:
        write.actor.require(Role.ADMIN, token.site.path, where=f"token {token.name}", field="id")
    elif token.account_id != write.actor.account_id:  # someone else's personal token: admin of all its roles
        for grant in await Grant.filter(account_id=token.account_id).select_related("site"):
            write.actor.require(Role.ADMIN, grant.site.path, where=f"token {token.name}", field="id")
    before = {"revoked_at": None}
    await accounts.revoke_token(token)
    await write.audit("REVOKE", token, site_path=token.site.path if token.site else None, before=before)
    return TokenPayload(token=TokenInfo.from_row(token, token.site))


async def _create_account(write: Write, input: CreateAccountInput) -> AccountPayload:
    site = await _admin_site(write, input.site_id, "siteId")
    account = await accounts.create_account(input.username, input.display_name)
    grant = await accounts.grant(account, site, Role(input.role.value))
    await write.audit("CREATE", account, site_path=site.path)
    await write.audit("GRANT", grant, site_path=site.path)
    return AccountPayload(username=account.username)


async def _grant_role(write: Write, input: GrantRoleInput) -> AccountPayload:
    site = await _admin_site(write, input.site_id, "siteId")
    account = await Account.get_or_none(username=input.username)
    if account is None:
        raise NotFound("account", input.username, field="username")
    existing = await Grant.get_or_none(account=account, site=site)
    before = {"role": existing.role.value} if existing else None
    if input.role is None:
        if existing is None:
            raise DomainError(f"{account.username} holds no role on {site.name}", field="role", code="NOT_FOUND")
        await existing.delete()
        await write.audit("REVOKE", existing, site_path=site.path, before=before)
    else:
        grant = await accounts.grant(account, site, Role(input.role.value))
        await write.audit("GRANT", grant, site_path=site.path, before=before)
    return AccountPayload(username=account.username)


@strawberry.type(description="Managing accounts, roles and tokens.")
class AccessMutation:
    @strawberry.mutation(description="Create a service token for a subtree (needs ADMIN there); the secret is returned once")
    async def create_service_token(self, info: Info, input: CreateServiceTokenInput) -> TokenPayload:
        result, errors = await perform(info, lambda w: _create_service_token(w, input))
        return result or TokenPayload(errors=errors)

    @strawberry.mutation(description="Create a personal token for the calling account; the secret is returned once")
    async def create_personal_token(self, info: Info, input: CreatePersonalTokenInput) -> TokenPayload:
        result, errors = await perform(info, lambda w: _create_personal_token(w, input))
        return result or TokenPayload(errors=errors)

    @strawberry.mutation(description="Revoke a token at once (your own, or one in a subtree you administer)")
    async def revoke_token(self, info: Info, input: RevokeTokenInput) -> TokenPayload:
        result, errors = await perform(info, lambda w: _revoke_token(w, input))
        return result or TokenPayload(errors=errors)

    @strawberry.mutation(description="Create an account with a role on a subtree (needs ADMIN there)")
    async def create_account(self, info: Info, input: CreateAccountInput) -> AccountPayload:
        result, errors = await perform(info, lambda w: _create_account(w, input))
        return result or AccountPayload(errors=errors)

    @strawberry.mutation(description="Give, change or (role: null) take away an account's role on a subtree (needs ADMIN there)")
    async def grant_role(self, info: Info, input: GrantRoleInput) -> AccountPayload:
        result, errors = await perform(info, lambda w: _grant_role(w, input))
        return result or AccountPayload(errors=errors)

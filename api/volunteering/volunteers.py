"""Volunteer profiles and their private tokens (vol_...), issued by staff, shown once."""

from __future__ import annotations

import secrets

from api.domain import audit
from api.domain.accounts import hash_token
from api.domain.errors import DomainError
from api.domain.scope import path_of
from api.domain.writes import Write
from api.models.accounts import Role
from api.models.people import Person
from api.models.volunteering import Volunteer

TOKEN_PREFIX = "vol_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(24)


async def by_token(token: str | None, field: str = "volunteerToken") -> Volunteer:
    token = (token or "").strip()
    if not token.startswith(TOKEN_PREFIX):
        raise DomainError(f"{field} must be your volunteer token (it starts with {TOKEN_PREFIX})", field=field, code="INVALID")
    volunteer = await Volunteer.get_or_none(token_hash=hash_token(token), deleted_at__isnull=True)
    if volunteer is None:
        raise DomainError("no volunteer has this token (ask your station for a new one)", field=field, code="NOT_FOUND")
    return volunteer


async def register(write: Write, person: Person, show_on_leaderboard: bool | None) -> tuple[Volunteer, str]:
    """Give a person a volunteer profile, or a new token (the old one stops working): staff
    with EDITOR on the person's home site do it and hand the token over."""
    path = await path_of(person)
    write.actor.require(Role.EDITOR, path, where=f"the volunteer profile of person {person.id}", field="personId")
    token = new_token()
    volunteer = await Volunteer.get_or_none(person_id=person.id)
    if volunteer is None:
        volunteer = await Volunteer.create(person_id=person.id, token_hash=hash_token(token),
                                           show_on_leaderboard=bool(show_on_leaderboard))
        await write.audit("CREATE", volunteer, site_path=path)
        return volunteer, token
    before = audit.snapshot(volunteer)
    volunteer.token_hash = hash_token(token)
    volunteer.deleted_at = None
    if show_on_leaderboard is not None:
        volunteer.show_on_leaderboard = show_on_leaderboard
    volunteer.version += 1
    await volunteer.save()
    await write.audit("NEW_TOKEN", volunteer, site_path=path, before=before)
    return volunteer, token


def label(volunteer: Volunteer) -> str:
    """How the audit names a volunteer acting with their token."""
    return f"volunteer {volunteer.id}"

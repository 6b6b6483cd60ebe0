"""People: lecturers (public profile) and volunteers (private), and who may see what of them."""

from __future__ import annotations

import re
from typing import Any

from api.domain import validation
from api.domain.errors import DomainError
from api.domain.permissions import Actor
from api.domain.writes import save_versioned
from api.models.accounts import Role
from api.models.people import Person

PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,28}$")
MAX_TOPICS = 20


def sees_private(actor: Actor, path: str | None) -> bool:
    """Phones, volunteer numbers and site contacts: only for a VIEWER (or more) of the site."""
    return actor.can(Role.VIEWER, path)


def sees_person(actor: Actor, is_lecturer: bool, path: str | None) -> bool:
    """A lecturer's name is public; anyone else is known only to the people of their site."""
    return is_lecturer or sees_private(actor, path)


def check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate (and trim) the editable fields given, each error naming its input field."""
    if "name" in fields:
        fields["name"] = validation.text(fields["name"], "name", max_length=50)
    if "title" in fields:
        fields["title"] = validation.text(fields["title"], "title", max_length=50, required=False)
    if "bio" in fields:
        fields["bio"] = validation.text(fields["bio"], "bio", max_length=2000, required=False)
    if "topics" in fields:
        topics = [validation.text(t, "topics", max_length=50) for t in fields["topics"] or []]
        if len(topics) > MAX_TOPICS:
            raise DomainError(f"topics has {len(topics)} entries; at most {MAX_TOPICS} are allowed", field="topics", code="TOO_LONG")
        fields["topics"] = list(dict.fromkeys(topics))
    if "phone" in fields:
        phone = validation.text(fields["phone"], "phone", max_length=30, required=False)
        if phone and not PHONE.match(phone):
            raise DomainError(f"phone must be digits (with +, spaces or -), got {phone!r}", field="phone", code="INVALID")
        fields["phone"] = phone
    if "volunteer_number" in fields:
        number = validation.text(fields["volunteer_number"], "volunteerNumber", max_length=32, required=False)
        fields["volunteer_number"] = number or None
    return fields


async def create_person(*, name: str, **fields: Any) -> Person:
    return await Person.create(**check_fields({"name": name, **fields}))


async def update_person(person: Person, version: int, changes: dict[str, Any]) -> Person:
    return await save_versioned(person, version, check_fields(changes), f"person {person.name}")

"""Service platforms (平台): a code that feed URLs use, unique, and a display name."""

from __future__ import annotations

import re
from typing import Any

from api.domain import validation
from api.domain.errors import DomainError
from api.domain.writes import check_version, save_versioned
from api.models.platforms import Platform

# Codes appear in feed URLs (?platform=THEORY): keep them URL-safe and unambiguous.
CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")


async def _check_code(code: str, platform: Platform | None = None) -> str:
    code = validation.text(code, "code", max_length=32)
    if not CODE.match(code):
        raise DomainError(
            f"code must be capital letters, digits and _ starting with a letter (e.g. THEORY), got {code!r}",
            field="code",
            code="INVALID",
        )
    clash = Platform.filter(code=code)  # deleted platforms too: the column is unique
    if platform is not None:
        clash = clash.exclude(id=platform.id)
    if other := await clash.first():
        hint = " (deleted: restoreRecord brings it back)" if other.deleted_at else ""
        raise DomainError(f"platform code {code} is already used by {other.name}{hint}", field="code", code="DUPLICATE")
    return code


def check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    if "name" in fields:
        fields["name"] = validation.text(fields["name"], "name", max_length=50)
    if "lead_unit" in fields:
        fields["lead_unit"] = validation.text(fields["lead_unit"], "leadUnit", max_length=100, required=False)
    if "description" in fields:
        fields["description"] = validation.text(fields["description"], "description", max_length=5000, required=False)
    if fields.get("sort_order") is not None:
        validation.in_range(fields["sort_order"], "sortOrder", 0, 32767)
    return fields


async def create_platform(*, code: str, name: str, **fields: Any) -> Platform:
    fields = check_fields({"name": name, **fields})
    return await Platform.create(code=await _check_code(code), **fields)


async def update_platform(platform: Platform, version: int, changes: dict[str, Any]) -> Platform:
    what = f"platform {platform.name}"
    check_version(platform, version, what)
    changes = check_fields(changes)
    if "code" in changes:
        changes["code"] = await _check_code(changes["code"], platform)
    return await save_versioned(platform, version, changes, what)

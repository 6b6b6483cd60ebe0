"""GET /exports/volunteer-hours.csv and .xlsx: the hours sheet for staff (VIEWER on the site).

Query parameters: within (a Site id, global or numeric), from, to (YYYY-MM-DD, included).
Errors are JSON {"error": {"code", "parameter", "message"}} with a 4xx status, like the feeds'."""

from __future__ import annotations

import base64
import json
from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.domain.accounts import authenticate
from api.domain.errors import DomainError
from api.domain.permissions import Unauthenticated
from api.models.accounts import Role
from api.models.sites import Site
from api.volunteering import export

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _error(status: int, code: str, message: str, parameter: str | None = None) -> Response:
    body = {"error": {"code": code, "parameter": parameter, "message": message}}
    return Response(json.dumps(body, ensure_ascii=False), status_code=status,
                    media_type="application/json; charset=utf-8", headers={"Cache-Control": "no-store"})


def _site_id(value: str) -> int | None:
    if value.isdigit():
        return int(value)
    try:
        kind, _, pk = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode().partition(":")
    except ValueError:
        return None
    return int(pk) if kind == "Site" and pk.isdigit() else None


def _day(request: Request, name: str) -> date | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{name} must be a date YYYY-MM-DD, got {value[:20]!r}", field=name, code="INVALID") from None


async def hours_sheet(request: Request) -> Response:
    fmt = request.path_params["format"]
    if fmt not in MEDIA:
        return _error(404, "NOT_FOUND", "the sheet is volunteer-hours.csv or volunteer-hours.xlsx", "path")
    try:
        actor = await authenticate(request.headers.get("authorization"))
    except Unauthenticated as exc:
        return _error(401, "UNAUTHENTICATED", exc.message)
    if actor is None:
        return _error(401, "UNAUTHENTICATED", "the hours sheet is for staff: send 'Authorization: Bearer <token>'")
    raw = request.query_params.get("within", "")
    site_id = _site_id(raw)
    site = await Site.get_or_none(id=site_id, deleted_at__isnull=True) if site_id and site_id < 2**31 else None
    if site is None:
        return _error(400 if not raw else 404, "REQUIRED" if not raw else "NOT_FOUND",
                      "within must name a site (its id)", "within")
    try:
        actor.require(Role.VIEWER, site.path, where=f"the volunteer hours of {site.name}", field="within")
        start, end = _day(request, "from"), _day(request, "to")
        if start and end and end < start:
            raise DomainError("to must not be before from", field="to", code="BAD_PERIOD")
    except DomainError as error:
        status = 403 if error.code in ("OUT_OF_SCOPE", "FORBIDDEN") else 400
        return _error(status, error.code, error.message, error.field)
    found = await export.rows(site.path, start, end)
    body = export.to_csv(found) if fmt == "csv" else export.to_xlsx(found)
    name = f"volunteer-hours-{site.id}-{start or 'all'}-{end or 'all'}.{fmt}"
    return Response(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def export_routes() -> list[Route]:
    return [Route("/exports/volunteer-hours.{format}", hours_sheet, methods=["GET"])]

"""The HTTP face of the sheets (docs/sheets.md).

GET  /sheets/templates/{kind}.xlsx     a blank template (public: it holds no data)
POST /sheets/import/{kind}             multipart/form-data, the file in field `file` (what
                                       wx.uploadFile sends); `within` and `dryRun` as form
                                       fields or query parameters; a token with EDITOR
GET  /sheets/export/{kind}.{xlsx,csv}  ?within=&from=&to=; people and memberships need a token
GET  /sheets/plan/{site}/{YYYY-MM}.{xlsx,html}  the monthly plan (public, ETag and 304)
GET  /sheets/stats.xlsx                ?within=&from=&to=: the statistics tables (public, as GraphQL stats)
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.domain import retry
from api.domain.accounts import authenticate
from api.domain.errors import DomainError
from api.domain.permissions import ANONYMOUS, Actor, Unauthenticated
from api.domain.validation import record_id
from api.models.sites import Site
from api.settings import Settings
from api.sheets.columns import SHEETS
from api.sheets.exports import FORMATS, Export
from api.sheets.imports import ImportReport, import_file
from api.sheets.phrases import CellError, parse_date
from api.sheets.template import XLSX, build_template


def refusal(status: int, code: str, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def unknown_kind(kind: str) -> JSONResponse:
    return refusal(404, "NOT_FOUND", f"no sheet kind {kind!r}; kinds: {', '.join(SHEETS)}")


def attachment(body: bytes, filename: str, media_type: str) -> Response:
    # RFC 6266: an ASCII fallback name, and the Chinese one as filename*.
    ascii_name = filename.encode("ascii", "ignore").decode() or "wenming"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(body, media_type=media_type, headers={"content-disposition": disposition})


async def _actor(request: Request) -> Actor:
    return await authenticate(request.headers.get("authorization")) or ANONYMOUS


async def _site(value: str | None) -> Site | None:
    if value in (None, ""):
        return None
    site_id = record_id(value)
    site = await Site.get_or_none(id=site_id, deleted_at__isnull=True) if site_id else None
    if site is None:
        raise DomainError(f"within: there is no site {value!r}", field="within", code="NOT_FOUND")
    return site


def report_json(report: ImportReport) -> dict:
    return {
        "kind": report.kind, "dryRun": report.dry_run, "written": report.written, "rows": report.rows,
        "created": report.count("CREATE"), "updated": report.count("UPDATE"), "unchanged": report.count("UNCHANGED"),
        "errors": [{"row": e.row, "header": e.header, "message": e.message, "value": e.value, "code": e.code}
                   for e in report.errors],
        "changes": [
            {"row": o.row, "action": o.action, "record": o.label, "headers": o.changed}
            for o in report.outcomes if o.action != "UNCHANGED"
        ],
    }


def _flag(value: str | None) -> bool:
    return (value or "").lower() in {"1", "true", "yes"}


async def template(request: Request) -> Response:
    kind = request.path_params["kind"]
    sheet = SHEETS.get(kind)
    if sheet is None:
        return unknown_kind(kind)
    return attachment(await build_template(sheet), f"{sheet.kind}-{sheet.title}模板.xlsx", XLSX)


def upload(settings: Settings):
    async def endpoint(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in SHEETS:
            return unknown_kind(kind)
        try:
            actor = await _actor(request)
        except Unauthenticated as exc:
            return refusal(401, "UNAUTHENTICATED", exc.message)
        if not actor.authenticated:
            return refusal(401, "UNAUTHENTICATED", "importing needs an API token: send 'Authorization: Bearer <token>'")
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return refusal(400, "BAD_REQUEST", "send the file as multipart/form-data in a field named 'file' (wx.uploadFile's name: 'file')")
        try:
            form = await request.form(max_files=1, max_fields=10)
        except Exception as exc:  # a malformed multipart body
            return refusal(400, "BAD_REQUEST", f"the multipart body cannot be read: {exc}")
        try:
            file = form.get("file")
            if not isinstance(file, UploadFile):
                return refusal(400, "BAD_REQUEST", "the upload has no file in a field named 'file'")
            data = await file.read()
            name = file.filename or ""
            within = form.get("within") or request.query_params.get("within")
            dry_run = _flag(form.get("dryRun") or request.query_params.get("dryRun"))
        finally:
            await form.close()
        try:
            site = await _site(within if isinstance(within, str) else None)
            report = await import_file(kind, data, name, actor=actor, within=site.id if site else None,
                                       dry_run=dry_run, max_bytes=settings.max_upload_bytes)
        except DomainError as exc:
            status = {"TOO_LARGE": 413, "OUT_OF_SCOPE": 403, "FORBIDDEN": 403, "NOT_FOUND": 404,
                      retry.CODE: 409}.get(exc.code, 400)
            return refusal(status, exc.code, exc.message)
        bus = getattr(request.app.state, "bus", None)
        if report.occurrence_changes and bus is not None:
            from api.live.occurrences import announce

            await announce(bus, report.occurrence_changes)
        return JSONResponse(report_json(report), status_code=422 if report.errors else 200)

    return endpoint


async def export(request: Request) -> Response:
    kind, fmt = request.path_params["kind"], request.path_params["format"]
    if kind not in SHEETS:
        return unknown_kind(kind)
    if fmt not in FORMATS:
        return refusal(404, "NOT_FOUND", f"no format {fmt!r}; formats: xlsx, csv")
    try:
        actor = await _actor(request)
    except Unauthenticated as exc:
        return refusal(401, "UNAUTHENTICATED", exc.message)
    params = request.query_params
    try:
        site = await _site(params.get("within"))
        start, end = (parse_date(params[p]) if params.get(p) else None for p in ("from", "to"))
        job = Export(kind, actor, site, start, end)
    except CellError as exc:
        return refusal(400, "BAD_DATE", f"from/to: {exc.message}")
    except DomainError as exc:
        status = 401 if exc.code == "FORBIDDEN" and not actor.authenticated else {"FORBIDDEN": 403, "NOT_FOUND": 404}.get(exc.code, 400)
        return refusal(status, exc.code, exc.message)
    writer, media_type = FORMATS[fmt]
    body = await writer(job)
    title = SHEETS[kind].title
    response = attachment(body, f"{kind}-{title}.{fmt}", media_type)
    response.headers["cache-control"] = "private, no-store" if job.private else "public, max-age=300"
    return response


PLAN_TYPES = {"xlsx": XLSX, "html": "text/html; charset=utf-8"}


async def monthly_plan(request: Request) -> Response:
    from api.domain import compression
    from api.sheets.plan import build_plan, etag_of, page, parse_month, plan_xlsx

    fmt = request.path_params["format"]
    if fmt not in PLAN_TYPES:
        return refusal(404, "NOT_FOUND", f"no format {fmt!r}; formats: xlsx, html")
    try:
        site = await _site(request.path_params["site"])
        month = parse_month(request.path_params["month"])
    except DomainError as exc:
        return refusal(404 if exc.code == "NOT_FOUND" else 400, exc.code, exc.message)
    plan = await build_plan(site, month)
    body = plan_xlsx(plan) if fmt == "xlsx" else page(plan).encode()
    etag = etag_of(body)
    headers = {"etag": etag, "cache-control": "public, max-age=300"}
    if compression.etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    if fmt == "xlsx":
        response = attachment(body, f"{plan.title}.xlsx", XLSX)
        response.headers.update(headers)
        return response
    return Response(body, media_type=PLAN_TYPES[fmt], headers=headers)


async def stats(request: Request) -> Response:
    from api.domain import clock
    from api.domain import stats as figures
    from api.sheets.stats_sheet import stats_xlsx

    params = request.query_params
    try:
        site = await _site(params.get("within"))
        first, last = (parse_date(params[p]) if params.get(p) else None for p in ("from", "to"))
        now = clock.now()
        default_first, default_last = figures.default_period(clock.local(now).date())
        scope = figures.Scope(site.path if site else None, first or default_first, last or default_last, now)
    except CellError as exc:
        return refusal(400, "BAD_DATE", f"from/to: {exc.message}")
    except DomainError as exc:
        return refusal(404 if exc.code == "NOT_FOUND" else 400, exc.code, exc.message)
    body = await stats_xlsx(scope, site)
    response = attachment(body, f"stats-统计-{scope.first_day}-{scope.last_day}.xlsx", XLSX)
    response.headers["cache-control"] = "public, max-age=300"
    return response


def sheet_routes(settings: Settings) -> list[BaseRoute]:
    return [
        Route("/sheets/templates/{kind}.xlsx", template, methods=["GET"]),
        Route("/sheets/import/{kind}", upload(settings), methods=["POST"]),
        Route("/sheets/export/{kind}.{format}", export, methods=["GET"]),
        Route("/sheets/plan/{site}/{month}.{format}", monthly_plan, methods=["GET"]),
        Route("/sheets/stats.xlsx", stats, methods=["GET"]),
    ]

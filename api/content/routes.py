"""The HTTP face of images: POST /uploads/images (a form upload, as wx.uploadFile sends it) and
GET /images/<digest>/<file> (served with a year-long cache and an ETag: a name never changes)."""

from __future__ import annotations

import base64
import json
import re

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from tortoise.transactions import in_transaction

from api.content import uploads
from api.content.images import FORMATS, WIDTHS
from api.content.storage import key, open_store
from api.domain.accounts import authenticate
from api.domain.errors import DomainError
from api.domain.permissions import Unauthenticated
from api.domain.validation import record_id
from api.models.content import Image
from api.models.sites import Site
from api.settings import Settings

FILE_NAME = re.compile(r"^(?:original\.(?:jpg|png|webp)|(?:%s)\.(?:webp|jpg))$" % "|".join(map(str, WIDTHS)))
DIGEST = re.compile(r"^[0-9a-f]{64}$")
CACHE_FOREVER = "public, max-age=31536000, immutable"
STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "OUT_OF_SCOPE": 403, "FILE_TOO_LARGE": 413,
          "UNSUPPORTED_TYPE": 415, "NOT_FOUND": 404}


def _json(status: int, body: dict, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status_code=status,
                    media_type="application/json", headers=headers)


def _error(code: str, message: str, field: str | None = None) -> Response:
    extensions = {"code": code, **({"field": field} if field else {})}
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if code == "UNAUTHENTICATED" else None
    return _json(STATUS.get(code, 422 if field == "file" else 400), {"errors": [{"message": message, "extensions": extensions}]},
                 headers)


def image_json(settings: Settings, image: Image) -> dict:
    """What an upload answers: enough for a mini-program to show the photo at once."""
    original = f"original.{'jpg' if image.format == 'jpeg' else image.format}"
    return {
        "id": base64.b64encode(f"Image:{image.id}".encode()).decode(),
        "width": image.width, "height": image.height, "blurhash": image.blurhash,
        "url": uploads.url(settings, image, original),
        "renditions": {f"{w}.{ext}": uploads.url(settings, image, f"{w}.{ext}") for w in WIDTHS for ext in ("webp", "jpg")},
    }


async def _site(value: str | None) -> Site | None:
    """The optional `site` form field: a Site's global ID or its number."""
    if not value:
        return None
    raw = value
    try:
        decoded = base64.b64decode(value, validate=True).decode()
        if decoded.startswith("Site:"):
            raw = decoded[5:]
    except ValueError:
        pass
    pk = record_id(raw)
    site = await Site.get_or_none(id=pk, deleted_at__isnull=True) if pk else None
    if site is None:
        raise DomainError(f"site: {value[:40]!r} is not a site", field="site", code="NOT_FOUND")
    return site


def upload_endpoint(settings: Settings):
    async def upload(request: Request) -> Response:
        try:
            actor = await authenticate(request.headers.get("authorization"))
        except Unauthenticated as exc:
            return _error("UNAUTHENTICATED", exc.message)
        if actor is None:
            return _error("UNAUTHENTICATED", "uploading an image needs an API token: send 'Authorization: Bearer <token>'")
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return _error("BAD_REQUEST", "send the image as multipart/form-data with the file in the field `file`")
        try:
            form = await request.form(max_files=1, max_fields=5, max_part_size=64 * 1024)
        except Exception as exc:  # a malformed form: starlette raises its own and multipart's errors
            return _error("BAD_REQUEST", f"the form could not be read ({type(exc).__name__}): send one file in `file`")
        try:
            file = form.get("file")
            if not isinstance(file, UploadFile):
                return _error("BAD_REQUEST", "no file in the field `file` (wx.uploadFile: name: 'file')", "file")
            data = await file.read()
            site_field = form.get("site")
            try:
                async with in_transaction():
                    site = await _site(site_field if isinstance(site_field, str) else None)
                    image = await uploads.accept(actor, data, settings, site=site)
            except Unauthenticated as exc:
                return _error("UNAUTHENTICATED", exc.message)
            except DomainError as exc:
                return _error(exc.code, exc.message, exc.field)
        finally:
            await form.close()  # the spooled temporary file
        return _json(201, {"image": image_json(settings, image)})

    return upload


def serve_endpoint(settings: Settings):
    async def serve(request: Request) -> Response:
        digest, name = request.path_params["digest"], request.path_params["name"]
        if not DIGEST.match(digest) or not FILE_NAME.match(name):
            return _error("NOT_FOUND", "there is no image file here: /images/<sha256>/<320|750|1080>.<webp|jpg> "
                          "or original.<jpg|png|webp>")
        etag = f'"{digest[:32]}-{name}"'
        headers = {"ETag": etag, "Cache-Control": CACHE_FOREVER}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        data = await open_store(settings).get(key(digest, name))
        if data is None:
            return _error("NOT_FOUND", f"no image {digest[:12]}… with a file {name}")
        media = FORMATS[name.rsplit(".", 1)[1]]
        return Response(b"" if request.method == "HEAD" else data, media_type=media,
                        headers={**headers, "Content-Length": str(len(data))})

    return serve


def image_routes(settings: Settings) -> list[BaseRoute]:
    return [
        Route("/uploads/images", upload_endpoint(settings), methods=["POST"]),
        Route("/images/{digest}/{name}", serve_endpoint(settings), methods=["GET", "HEAD"]),
    ]

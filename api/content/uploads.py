"""Accepting an uploaded image, for both faces (GraphQL multipart and POST /uploads/images):
who may upload, processing off the event loop, storing every file, one row per distinct photo."""

from __future__ import annotations

import asyncio

from api.content import images
from api.content.storage import key, open_store
from api.domain import audit
from api.domain.errors import DomainError
from api.domain.permissions import RANK, Actor, Unauthenticated
from api.models.accounts import Role
from api.models.content import Image
from api.models.sites import Site
from api.settings import Settings


async def _uploader_site(actor: Actor, site: Site | None) -> Site:
    """The site the upload is for: the one named (EDITOR there), else the caller's first EDITOR site."""
    if not actor.authenticated:
        raise Unauthenticated("uploading an image needs an API token: send 'Authorization: Bearer <token>'")
    if site is not None:
        actor.require(Role.EDITOR, site.path, where=f"site {site.name}", field="site")
        return site
    for grant in actor.grants:
        if RANK[grant.role] >= RANK[Role.EDITOR]:
            return await Site.get(path=grant.site_path)
    raise DomainError(f"uploading images needs EDITOR on a site; {actor.label} has none", field="file", code="FORBIDDEN")


async def accept(actor: Actor, data: bytes, settings: Settings, *, site: Site | None = None) -> Image:
    """Check, strip, resize and store an upload; the Image row (an existing one for the same photo)."""
    owner = await _uploader_site(actor, site)
    processed = await asyncio.to_thread(
        images.process, data, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels
    )
    store = open_store(settings)
    # Content-addressed: writing a file that is already there rewrites the same bytes.
    await asyncio.gather(*(store.put(key(processed.digest, name), body) for name, body in processed.files.items()))
    image, created = await Image.get_or_create(
        digest=processed.digest,
        defaults=dict(format=processed.format.lower(), width=processed.width, height=processed.height,
                      blurhash=processed.blurhash, size_bytes=len(processed.files[processed.original_name]),
                      site=owner, uploaded_by=actor.label),
    )
    if created:
        await audit.record(actor, "UPLOAD", "Image", image.pk, site_path=owner.path, after=audit.snapshot(image))
    return image


def url(settings: Settings, image: Image, name: str) -> str:
    return f"{settings.links_base}/{key(image.digest, name)}"

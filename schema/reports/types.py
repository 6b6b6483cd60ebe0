"""Reports (活动报道) as GraphQL types."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import relay
from tortoise.expressions import Q

from api.content import uploads
from api.content.html import excerpt
from api.content.images import rendition_name
from api.content.reports import visible
from api.domain.validation import record_id
from api.models.accounts import Role
from api.models.content import Image as ImageRow
from api.models.content import Report as ReportRow
from api.models.content import ReportStatus
from schema.core.context import Info
from schema.core.enums import graphql_enum
from schema.core.nodes import LoadedNode, lazy_class
from schema.network.types import Campaign, Site, Team

EventRef = Annotated["Event", strawberry.lazy("schema.calendar.types")]

ReportStatusEnum = graphql_enum(ReportStatus, "Where a report (活动报道) is in its review; only PUBLISHED ones are public.", {
    "DRAFT": "草稿: being written; seen only by editors of its site's subtree",
    "IN_REVIEW": "待审核: submitted, waiting for an ADMIN of the subtree to approve it",
    "PUBLISHED": "已发布: approved and public",
    "UNPUBLISHED": "已撤回: taken down by an ADMIN; an editor may rework and submit it again",
})


@strawberry.enum(description="The file format of an image rendition.")
class ImageFormat(Enum):
    JPEG = strawberry.enum_value("jpg", description="JPEG: every browser and WeChat")
    WEBP = strawberry.enum_value("webp", description="WebP: about a third smaller; modern browsers and mini-programs")


@strawberry.type(description="A photo (图片) of a report: stripped of EXIF and GPS, in renditions 320, 750 and 1080 px wide.")
class Image(LoadedNode):
    _loader = "image"
    id: relay.NodeID[int]
    width: int = strawberry.field(description="Width of the original in pixels (after its EXIF orientation was applied)")
    height: int = strawberry.field(description="Height of the original in pixels")
    blurhash: str = strawberry.field(description="BlurHash (https://blurha.sh) placeholder to paint while the picture loads")
    _row: strawberry.Private[ImageRow]

    @strawberry.field(description="URL of the rendition at least `width` pixels wide (320, 750 or 1080; the largest when "
                      "none is); without `width`, the original. Files never change: cache them for good")
    def url(
        self, info: Info,
        width: Annotated[int | None, strawberry.argument(description="The width the picture is shown at, in pixels")] = None,
        format: Annotated[ImageFormat, strawberry.argument(description="JPEG or WEBP (renditions only)")] = ImageFormat.JPEG,
    ) -> str:
        row = self._row
        name = rendition_name(width, format.value) if width is not None else \
            f"original.{'jpg' if row.format == 'jpeg' else row.format}"
        return uploads.url(info.context.settings, row, name)


@strawberry.type(description="A report (活动报道): what happened at an activity, with photos, as a centre publishes it.")
class Report(LoadedNode):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="Title (标题), up to 120 characters")
    body: str = strawberry.field(
        description="Body (正文) as safe HTML: p, h2-h4, ul/ol/li, a href, strong, em, br and img of Wenming's own "
        "images; cleaned on write, so a portal may render it as is"
    )
    body_text: str = strawberry.field(description="The body as plain text, one line per paragraph (for big screens)")
    status: ReportStatusEnum = strawberry.field(description="Where it is in its review (DRAFT, IN_REVIEW, PUBLISHED, UNPUBLISHED)")
    published_at: datetime | None = strawberry.field(description="When it was (last) published; null before")
    occurrence_start: datetime | None = strawberry.field(description="The start of the one occurrence it reports on, if any")
    updated_at: datetime = strawberry.field(description="When it last changed")
    version: int = strawberry.field(description="Grows by one on every change: send it back with an update or a review step")
    _row: strawberry.Private[ReportRow]

    @classmethod
    async def latest(cls, info: Info, first: int, *conditions: Q, **where: Any) -> list[Report]:
        """The newest published reports matching `conditions` and `where` (a subtree's, an event's, a campaign's)."""
        first = max(1, min(first, 20))
        rows = await ReportRow.filter(visible(info.context.actor), *conditions, status=ReportStatus.PUBLISHED, **where) \
            .order_by("-listed_at", "-id").limit(first)
        return [cls.from_row(r) for r in rows]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        # A draft is a node only for those who may read it: anyone else gets null, as for an unknown id.
        ids = [pk for i in node_ids if (pk := record_id(i)) is not None]
        rows = {r.id: r for r in await ReportRow.filter(visible(info.context.actor), id__in=ids)}
        return [cls.from_optional(rows.get(record_id(i) or -1)) for i in node_ids]

    @strawberry.field(description="Summary (摘要): as written, or else the start of the body (120 characters)")
    def summary(self) -> str:
        return self._row.summary or excerpt(self._row.body_text)

    @strawberry.field(description="Who wrote it (the account or token name): null unless you are an EDITOR of its site")
    def author(self, info: Info) -> str | None:
        return self._row.author if info.context.actor.can(Role.EDITOR, self._row.site_path) else None

    @strawberry.field(description="The cover photo (封面), if any")
    async def cover(self, info: Info) -> Image | None:
        cid = self._row.cover_id
        return Image.from_optional(await info.context.loaders.image.load(cid)) if cid else None

    @strawberry.field(description="The gallery (组图), in order")
    async def gallery(self, info: Info) -> list[Image]:
        return [Image.from_row(r) for r in await info.context.loaders.image.load_many(self._row.gallery) if r]

    @strawberry.field(description="The site (阵地) that publishes it")
    async def site(self, info: Info) -> Site | None:
        return Site.from_optional(await info.context.loaders.site.load(self._row.site_id))

    @strawberry.field(description="The lecture or activity it reports on, if any (null when that event is not public)")
    async def event(self, info: Info) -> EventRef | None:
        if self._row.event_id is None:
            return None
        return lazy_class(EventRef).from_optional(await info.context.loaders.event.load(self._row.event_id))

    @strawberry.field(description="The campaign (主题活动) it belongs to, if any")
    async def campaign(self, info: Info) -> Campaign | None:
        cid = self._row.campaign_id
        return Campaign.from_optional(await info.context.loaders.campaign.load(cid)) if cid else None

    @strawberry.field(description="The teams (队伍) that took part")
    async def teams(self, info: Info) -> list[Team]:
        ids = await info.context.loaders.report_team_ids.load(self.id)
        return [Team.from_row(t) for t in await info.context.loaders.team.load_many(ids) if t]

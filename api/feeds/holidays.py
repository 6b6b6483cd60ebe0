"""GET /feeds/holidays.ics: China's public holidays and make-up working days, all-day events
with their names, for last year, this year and next year. ETag/304 and gzip like every feed;
the body is rendered again only when the table's rows for those years changed. The rows are
read again only when the holiday tables' watermark on the primary moved (api/feeds/marked.py),
from the read replica for an anonymous request when it has that watermark."""

from __future__ import annotations

import hashlib
import pickle
from datetime import UTC, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

from icalendar import Event as VEvent
from starlette.requests import Request
from starlette.responses import Response

from api.china_calendar.holidays import Period, periods
from api.db import replica
from api.domain import compression
from api.domain.clock import local, now
from api.domain.freshness import WATERMARK_TABLES
from api.feeds import render
from api.feeds.marked import MarkedAnswers
from api.models.china_calendar import DayKind
from api.settings import Settings

MEDIA_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "public, max-age=3600"
CALENDAR_NAME = "中国法定节假日"
HOLIDAY_TABLES = {table: WATERMARK_TABLES[table] for table in ("holiday_day", "holiday_year")}
DESCRIPTION = ("China's public holidays and make-up working days (法定节假日与调休上班), "
               "from the State Council's notices; 暂定 marks a year not announced yet.")


def _summary(period: Period) -> str:
    text = f"{period.name} 放假" if period.kind is DayKind.HOLIDAY else f"调休上班（{period.name}）"
    return text + ("（暂定）" if period.provisional else "")


def _render(found: list[Period], host: str) -> bytes:
    head = render.render_head(CALENDAR_NAME, DESCRIPTION, f"holidays@{host}")
    blocks = []
    for period in found:
        word = "holiday" if period.kind is DayKind.HOLIDAY else "workday"
        stamp = local(period.updated_at)
        event = VEvent.new(
            uid=f"{word}-{period.first.isoformat()}@{host}",
            stamp=stamp,
            last_modified=stamp,
            sequence=period.version,
            start=period.first,
            end=period.last + timedelta(days=1),  # all-day: DTEND is the day after
            summary=_summary(period),
            categories=["节假日" if period.kind is DayKind.HOLIDAY else "调休"],
        )
        event.add("TRANSP", "TRANSPARENT")  # a holiday does not make anyone busy
        blocks.append(event.to_ical())
    return render.assemble(head, blocks)


class HolidayFeed:
    def __init__(self, settings: Settings) -> None:
        self.host = urlsplit(settings.links_base).hostname or "localhost"
        self._key: str | None = None
        self._body = b""
        self._gzipped: bytes | None = None
        self.renders = 0  # for tests: how often the body was rendered
        self.periods: MarkedAnswers[list[Period]] = MarkedAnswers(HOLIDAY_TABLES)

    async def respond(self, request: Request) -> Response:
        year = now().year
        with replica.reads_of(request.headers):
            found = await self.periods.get(year, lambda: periods(year - 1, year + 1), weight=lambda rows: 1 + len(rows))
        key = hashlib.blake2b(pickle.dumps((year, found), protocol=5), digest_size=12).hexdigest()
        if key != self._key:
            self._body, self._gzipped, self._key = _render(found, self.host), None, key
            self.renders += 1
        etag = f'"{key}"'
        gzipped = compression.accepts_gzip(request.headers.get("accept-encoding"))
        last_modified = max((p.updated_at for p in found), default=now())
        headers = {
            "ETag": compression.gzip_etag(etag) if gzipped else etag,
            "Vary": compression.VARY,
            "Last-Modified": format_datetime(last_modified.astimezone(UTC), usegmt=True),
            "Cache-Control": CACHE_CONTROL,
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Expose-Headers": "ETag, Last-Modified, Content-Encoding",
        }
        if compression.etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        body = self._body
        if gzipped:
            if self._gzipped is None:
                self._gzipped = compression.compress(self._body)
            body = self._gzipped
            headers["Content-Encoding"] = "gzip"
        headers["Content-Disposition"] = 'inline; filename="wenming-holidays.ics"'
        return Response(body, media_type=MEDIA_TYPE, headers=headers)

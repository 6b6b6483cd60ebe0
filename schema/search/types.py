"""What a search answers: hits, each with its object, a marked snippet and a score."""

from __future__ import annotations

import html
from enum import Enum
from typing import Annotated

import strawberry

from api.models.search import SearchKind
from api.search.snippets import Snippet
from schema.calendar.types import Event
from schema.network.types import Lecturer, Site, Team
from schema.reports.types import Report


@strawberry.enum(description="What kind of object a search hit is (搜索结果类型).")
class SearchTypeEnum(Enum):
    SITE = strawberry.enum_value(SearchKind.SITE.value, description="阵地: a practice site")
    TEAM = strawberry.enum_value(SearchKind.TEAM.value, description="队伍: a volunteer or lecture team")
    LECTURER = strawberry.enum_value(SearchKind.LECTURER.value, description="宣讲员: a lecturer's public profile")
    EVENT = strawberry.enum_value(SearchKind.EVENT.value, description="宣讲 / 活动: a lecture or activity (one event or a series)")
    REPORT = strawberry.enum_value(SearchKind.REPORT.value, description="活动报道: a published report (drafts and reports in review are never found)")


SearchTypeEnum.__strawberry_definition__.name = "SearchType"

SearchResult = Annotated[Site | Team | Lecturer | Event | Report, strawberry.union("SearchResult", description="The object a search hit names")]


@strawberry.enum(description="Which text of a hit the snippet comes from.")
class SnippetField(Enum):
    TITLE = strawberry.enum_value("TITLE", description="标题 / 名称: the title or name")
    BODY = strawberry.enum_value("BODY", description="简介: the description, summary, topic, address, biography or a report's text")


@strawberry.type(description="A stretch of a snippet's text that matched (start and length in characters).")
class TextRange:
    start: int = strawberry.field(description="Offset of the first matched character (0-based, in Unicode characters)")
    length: int = strawberry.field(description="How many characters matched")


@strawberry.type(description="Where a hit matched (摘要): a short stretch of its text with the matches marked.")
class SearchSnippet:
    field: SnippetField = strawberry.field(description="The title, or the body text it comes from")
    text: str = strawberry.field(description="The text as written (a long text cut around the first match with …)")
    highlights: list[TextRange] = strawberry.field(description="The matched stretches of `text`, in order")

    @strawberry.field(description="`text` HTML-escaped, with each match in <mark>…</mark>: ready for a kiosk page")
    def html(self) -> str:
        out, at = [], 0
        for r in self.highlights:
            out += [html.escape(self.text[at : r.start]), "<mark>", html.escape(self.text[r.start : r.start + r.length]), "</mark>"]
            at = r.start + r.length
        out.append(html.escape(self.text[at:]))
        return "".join(out)

    @classmethod
    def of(cls, s: Snippet) -> SearchSnippet:
        return cls(
            field=SnippetField.TITLE if s.field == "title" else SnippetField.BODY,
            text=s.text,
            highlights=[TextRange(start=a, length=n) for a, n in s.highlights],
        )


@strawberry.type(description="One search hit (搜索结果).")
class SearchHit:
    type: SearchTypeEnum = strawberry.field(description="What kind of object it is")  # type: ignore[valid-type]
    node: SearchResult = strawberry.field(description="The object itself")
    snippet: SearchSnippet = strawberry.field(description="Where it matched, with the matches marked")
    score: int = strawberry.field(
        description="Rank, higher first: 8 the title or name is the query (4+ characters), 6-7 title or name matched, 4-5 pinyin "
        "initials of the title, 2-3 only the description; one less for an event whose last occurrence is over"
    )

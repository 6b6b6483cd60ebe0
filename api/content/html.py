"""The body of a report: a small, safe subset of HTML, cleaned on write by nh3 (ammonia), and
its plain-text form for big screens."""

from __future__ import annotations

import html
import re

import nh3

TAGS = {"p", "br", "h2", "h3", "h4", "ul", "ol", "li", "a", "strong", "em", "img"}
ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt", "width", "height"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Only Wenming's own images: a rendition or original path under /images/ (see api/content/images.py).
OWN_IMAGE = re.compile(r"^(?:https?://[^/\s]+)?/images/[0-9a-f]{64}/[0-9a-z]+\.(?:jpg|webp|png)$")
_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
_BLOCK_END = re.compile(r"</?(?:p|h2|h3|h4|li|ul|ol)\b[^>]*>|<br\s*/?>")
_SPACES = re.compile(r"[ \t\r\f\v]+")


def _keep(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if OWN_IMAGE.match(value) else None
    if tag == "img" and attribute in {"width", "height"}:
        return value if value.isdigit() and len(value) <= 5 else None
    return value


def sanitise(body: str) -> str:
    """The allowed subset of `body`: scripts, styles, event handlers, foreign images and any
    other tag or attribute are removed (the text of unknown tags is kept, that of scripts is not)."""
    clean = nh3.clean(
        body, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, attribute_filter=_keep,
        link_rel="noopener noreferrer nofollow", strip_comments=True,
    )
    return _IMG_WITHOUT_SRC.sub("", clean).strip()


def plain_text(clean_html: str) -> str:
    """Text only, one line per paragraph, heading or list item."""
    with_breaks = _BLOCK_END.sub("\n", clean_html)
    text = html.unescape(nh3.clean(with_breaks, tags=set()))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def excerpt(text: str, length: int = 120) -> str:
    """The start of `text` on one line, cut at `length` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"

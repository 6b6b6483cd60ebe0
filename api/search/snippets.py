"""Where a hit matched: a short stretch of its text with the matched characters marked.

Matching is done on folded text (full-width, case, traditional script), but the snippet shows
the original characters: each one is folded on its own, so a match maps back onto the text
as written (講座 is marked when 讲座 was asked).
"""

from __future__ import annotations

from dataclasses import dataclass

from api.search.index import Fields
from api.search.tokens import Query, fold_chars, initials, is_cjk

WIDTH = 60  # characters of context shown around the first match in a long text


@dataclass(frozen=True)
class Snippet:
    field: str  # "title" or "body"
    text: str
    highlights: list[tuple[int, int]]  # (start, length) in `text`, in characters


def _spans(text: str, q: Query) -> list[tuple[int, int]]:
    """(start, end) of every query term in `text`, compared folded, merged where they touch."""
    folded = fold_chars(text)
    # Folded string and, for each of its characters, the original character it came from.
    flat, origin = [], []
    for i, part in enumerate(folded):
        flat.append(part)
        origin.extend([i] * len(part))
    hay = "".join(flat)
    spans = []
    for term in q.terms:
        start = hay.find(term)
        while start != -1:
            spans.append((origin[start], origin[start + len(term) - 1] + 1))
            start = hay.find(term, start + len(term))
    return _merge(spans)


def _initials_spans(text: str, typed: str) -> list[tuple[int, int]]:
    """Where the title's characters may be typed as these pinyin initials (xjt -> 宣讲团, and
    cy -> 重阳 as well as zy: each character with any of its readings, as indexed)."""
    letters = [set(initials(ch)) if is_cjk(ch) else set() for ch in text]
    for start in range(len(text) - len(typed) + 1):
        if all(typed[k] in letters[start + k] for k in range(len(typed))):
            return [(start, start + len(typed))]
    return []


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _cut(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    if len(text) <= WIDTH * 2:
        return text, spans
    first = spans[0][0] if spans else 0
    start = max(0, first - WIDTH // 3)
    end = min(len(text), start + WIDTH * 2)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    kept = [(s + shift, min(e, end) + shift) for s, e in spans if start <= s < end]
    return prefix + text[start:end] + suffix, kept


def snippet(fields: Fields, q: Query) -> Snippet:
    """The title when it matched (or matched by initials), else the first body text that did."""
    spans = _spans(fields.title, q)
    if not spans and q.initials:
        spans = _initials_spans(fields.title, q.initials)
    if spans:
        return Snippet("title", fields.title, [(s, e - s) for s, e in spans])
    for text in fields.body:
        if text and (spans := _spans(text, q)):
            cut, kept = _cut(text, spans)
            return Snippet("body", cut, [(s, e - s) for s, e in kept])
    # Every token matched, but spread out (讲 here, 座 there): show the title unmarked.
    return Snippet("title", fields.title, [])

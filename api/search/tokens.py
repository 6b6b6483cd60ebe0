"""The one tokenizer: text -> index tokens, query -> the tokens every hit must carry.

Chinese has no spaces and the usual query is two characters (讲座), so CJK text is indexed as
character bigrams (and single characters, for one-character queries); Latin letters and
digits as words. Before that, text is folded: NFKC (full-width ＡＩ５Ｇ -> AI5G), lower case,
traditional -> simplified (講座 -> 讲座). Titles also give pinyin initials of their CJK runs
(宣讲团 -> xjt), for kiosk keyboards.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc
from pypinyin import Style, lazy_pinyin

MAX_QUERY_CHARS = 50  # longer than any name; a query is a few words, not a paragraph
MAX_QUERY_TOKENS = 24
INITIALS_MIN, INITIALS_MAX = 2, 8  # `xjt`: initials runs indexed up to 8 letters long

_T2S = opencc.OpenCC("t2s")
# CJK ideographs (unified, extension A, compatibility) are indexed by character.
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
_INITIALS_QUERY = re.compile(rf"[a-z]{{{INITIALS_MIN},{INITIALS_MAX}}}")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return _T2S.convert(unicodedata.normalize("NFKC", ch).lower())


def fold(text: str) -> str:
    """NFKC, lower case, traditional -> simplified: how both text and queries are compared."""
    folded = _T2S.convert(unicodedata.normalize("NFKC", text).lower())
    return folded


def fold_chars(text: str) -> list[str]:
    """The folded form of each character of `text` (for mapping a match back onto the original)."""
    return [_fold_char(ch) for ch in text]


def runs(text: str) -> list[str]:
    """Folded text cut into CJK runs and Latin/digit words; punctuation and spaces drop out."""
    return _RUN.findall(fold(text))


def is_cjk(run: str) -> bool:
    return bool(_IS_CJK.match(run))


def _grams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def text_tokens(text: str) -> list[str]:
    """Index tokens of a text: CJK characters and bigrams, Latin/digit words (no duplicates)."""
    out: dict[str, None] = {}
    for run in runs(text):
        if is_cjk(run):
            out.update(dict.fromkeys(run))
            out.update(dict.fromkeys(_grams(run)))
        else:
            out[run] = None
    return list(out)


@lru_cache(maxsize=32768)
def initial(ch: str) -> str:
    """A character's pinyin initial in its most common reading ("" when it has none). Per
    character, cached: phrase context would fix a few polyphones (长泰 cháng, not zhǎng) at
    a hundred times the cost."""
    letter = lazy_pinyin(ch, style=Style.FIRST_LETTER)[0][:1]
    return letter if letter.isascii() and letter.isalpha() else ""


def initials_tokens(text: str) -> list[str]:
    """Pinyin initials of every 2..8-character stretch of the CJK runs: 洛地有声宣讲团 gives
    ld, ldy, ..., xj, xjt, so `xjt` finds the team by a substring of its name."""
    out: dict[str, None] = {}
    for run in runs(text):
        if not is_cjk(run):
            continue
        letters = "".join(initial(ch) for ch in run)
        if len(letters) != len(run):  # a character without a reading: skip the run
            continue
        for i in range(len(letters)):
            for n in range(INITIALS_MIN, INITIALS_MAX + 1):
                if i + n <= len(letters):
                    out[letters[i : i + n]] = None
    return list(out)


@dataclass(frozen=True)
class Query:
    """A parsed query: the tokens a hit must carry, the terms to highlight, and whether it could
    be pinyin initials (all letters, 2-8 of them: `xjt`)."""

    tokens: tuple[str, ...]
    terms: tuple[str, ...]
    initials: str | None
    length: int  # of the folded query as typed: a title this long holding every token is the query


class QueryError(ValueError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def parse_query(text: str) -> Query:
    raw = (text or "").strip()
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(raw)} characters long; at most {MAX_QUERY_CHARS} are allowed", "TOO_LONG")
    terms = runs(raw)
    if not terms:
        raise QueryError("query has no letters, digits or Chinese characters to search for", "EMPTY_QUERY")
    tokens: dict[str, None] = {}
    for run in terms:
        if is_cjk(run) and len(run) > 1:
            tokens.update(dict.fromkeys(_grams(run)))
        else:
            tokens[run] = None
    if len(tokens) > MAX_QUERY_TOKENS:
        raise QueryError(f"query has {len(tokens)} search terms; at most {MAX_QUERY_TOKENS} are allowed", "TOO_LONG")
    joined = "".join(terms)
    initials = joined if len(terms) == 1 and _INITIALS_QUERY.fullmatch(joined) else None
    return Query(tuple(tokens), tuple(dict.fromkeys(terms)), initials, len(fold(raw)))

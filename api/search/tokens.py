"""The one tokenizer: text -> index tokens, query -> the tokens every hit must carry.

Chinese has no spaces and the usual query is two characters (讲座), so CJK text is indexed as
character bigrams (and single characters, for one-character queries); Latin letters and
digits as words. Before that, text is folded: NFKC (full-width ＡＩ５Ｇ -> AI5G), lower case,
traditional -> simplified (講座 -> 讲座). Titles also give pinyin initials of their CJK runs
(宣讲团 -> xjt), for kiosk keyboards, every reading of a polyphone (重阳: zy, cy).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.seg.simpleseg import seg  # the segmentation lazy_pinyin uses

MAX_QUERY_CHARS = 50  # longer than any name; a query is a few words, not a paragraph
MAX_QUERY_TOKENS = 24
INITIALS_MIN, INITIALS_MAX = 2, 8  # `xjt`: initials runs indexed up to 8 letters long
POLYPHONE_SPELLINGS = 4  # initials spellings indexed per stretch of a title whose characters have several readings

_T2S = opencc.OpenCC("t2s")
# CJK ideographs (unified, extension A, compatibility) are indexed by character.
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
_INITIALS_QUERY = re.compile(rf"[a-z]{{{INITIALS_MIN},{INITIALS_MAX}}}")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return _T2S.convert(unicodedata.normalize("NFKC", ch).lower())


# Indexing a title folds it four times (its length, key, tokens and initials): the last few
# texts are kept (only a few: a text may be a long report), so opencc runs once per text.
@lru_cache(maxsize=16)
def fold(text: str) -> str:
    """NFKC, lower case, traditional -> simplified: how both text and queries are compared."""
    return _T2S.convert(unicodedata.normalize("NFKC", text).lower())


def fold_chars(text: str) -> list[str]:
    """The folded form of each character of `text` (for mapping a match back onto the original)."""
    return [_fold_char(ch) for ch in text]


def runs(text: str) -> list[str]:
    """Folded text cut into CJK runs and Latin/digit words; punctuation and spaces drop out."""
    return list(_runs(text))


@lru_cache(maxsize=16)
def _runs(text: str) -> tuple[str, ...]:
    return tuple(_RUN.findall(fold(text)))


def title_key(text: str) -> str:
    """The folded title without its spaces and punctuation (学雷锋·周六义剪 -> 学雷锋周六义剪): a
    query with the same key is the title itself, found by one btree probe (search_doc.title_key)."""
    return "".join(runs(text))


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
def initials(ch: str, readings: int = 2) -> tuple[str, ...]:
    """The pinyin initials of a character's `readings` most common readings, that order
    (() when it has none): 长 -> z (zhǎng), c (cháng); 行 -> x, h; 有 -> y (yǒu, yòu)."""
    spoken = pinyin(ch, style=Style.TONE, heteronym=True)[0][:readings]  # 有: yǒu, yòu (not wěi)
    letters = (unicodedata.normalize("NFD", r)[:1] for r in spoken)  # ài -> a
    return tuple(dict.fromkeys(x for x in letters if x.isascii() and x.isalpha()))


def initial(ch: str) -> str:
    """The initial of a character's most common reading ("" when it has none)."""
    return next(iter(initials(ch, 1)), "")


@lru_cache(maxsize=32768)
def _word_initials(word: str) -> tuple[str, ...]:
    """The first letters pypinyin gives one word of its segmentation (a phrase of its dictionary,
    or a character): a phrase's reading (银行 h) comes from the word, so caching per word keeps it."""
    return tuple(lazy_pinyin(word, style=Style.FIRST_LETTER))


def _phrase_initials(run: str) -> list[str]:
    """lazy_pinyin(run, style=FIRST_LETTER), word by word: pypinyin cuts a run into the same words
    (its `seg`) and converts each on its own, so the answer is the same; the words recur across
    titles (服务, 志愿, 社区) where the runs do not, and converting them was most of the cost."""
    return [letter for word in seg(run) for letter in _word_initials(word)]


@lru_cache(maxsize=32768)
def _char_choices(phrase_letter: str, ch: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((phrase_letter[:1], *initials(ch))))


@lru_cache(maxsize=32768)
def _choices(run: str) -> tuple[tuple[str, ...], ...] | None:
    """For each character of a CJK run, the initials it may be typed with: the reading its
    phrase gives (重阳 chóng, 银行 háng), then its own two most common readings (长泰 is in no
    phrase list: zhǎng, cháng); rarer readings (有 wěi, 声 qìng) are left out, as noise.
    None when a character has no reading."""
    if not all(initials(ch) for ch in run):
        return None
    phrase = _phrase_initials(run)
    if len(phrase) != len(run):
        phrase = [initial(ch) for ch in run]
    return tuple(_char_choices(p, ch) for p, ch in zip(phrase, run))


def _run_initials(choices: tuple[tuple[str, ...], ...]) -> list[str]:
    """The spellings of every 2..8-character stretch, by start then length, each stretch's in
    itertools.product order cut at POLYPHONE_SPELLINGS. A stretch's first spellings extend the
    first spellings of the stretch one shorter (product varies the last character fastest), so
    each length costs a few string joins instead of a new product."""
    out: list[str] = []
    first = "".join(c[0] for c in choices)  # every stretch's first spelling is a slice of it
    n = len(choices)
    next_polyphone = [n] * (n + 1)
    for k in reversed(range(n)):
        next_polyphone[k] = k if len(choices[k]) > 1 else next_polyphone[k + 1]
    for i in range(n):
        end = min(n, i + INITIALS_MAX)
        plain = min(next_polyphone[i], end)  # stretches i..j-1 up to here have one spelling
        out.extend(first[i:j] for j in range(i + INITIALS_MIN, plain + 1))
        spellings = [first[i:plain]]
        for j in range(plain, end):
            last = choices[j]
            if len(last) == 1:
                spellings = [s + last[0] for s in spellings]
            else:  # at most POLYPHONE_SPELLINGS x 3 joins
                spellings = [s + x for s in spellings for x in last][:POLYPHONE_SPELLINGS]
            if j + 1 - i >= INITIALS_MIN:
                out.extend(spellings)
    return out


def initials_tokens(text: str) -> list[str]:
    """Pinyin initials of every 2..8-character stretch of the CJK runs: 洛地有声宣讲团 gives
    ld, ldy, ..., xj, xjt, so `xjt` finds the team by a substring of its name. A stretch with
    polyphones gives each spelling (重阳 -> cy, zy; 长乐 -> cl, zl, cy, zy), the phrase's
    reading first, at most POLYPHONE_SPELLINGS of them."""
    out: dict[str, None] = {}
    for run in runs(text):
        if is_cjk(run) and (choices := _choices(run)) is not None:
            out.update(dict.fromkeys(_run_initials(choices)))
    return list(out)


@dataclass(frozen=True)
class Query:
    """A parsed query: the tokens a hit must carry, the terms to highlight, and whether it could
    be pinyin initials (all letters, 2-8 of them: `xjt`)."""

    tokens: tuple[str, ...]
    terms: tuple[str, ...]
    initials: str | None
    key: str  # title_key of the query: a title with this key is the query itself


class QueryError(ValueError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@lru_cache(maxsize=1024)  # kiosks ask the same few words again and again; a Query is immutable
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
    return Query(tuple(tokens), tuple(dict.fromkeys(terms)), initials, joined)

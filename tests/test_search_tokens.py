"""The tokenizer's output is pinned: every title and body the demo indexes, plus the tricky
cases (polyphones, full-width, traditional, mixed Latin and digits), must tokenise exactly as
tests/fixtures/search_tokens.json says. The fixture was written by the code before it was made
faster (`python3 bench/bench_tokens.py --write-fixture`); a change here changes what is found."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from api.search.tokens import fold, fold_chars, initial, initials, initials_tokens, is_cjk, parse_query, runs, text_tokens, title_key

FIXTURE = Path(__file__).parent / "fixtures" / "search_tokens.json"

TRICKY = [
    "重阳敬老服务点", "长乐社区服务点", "银行网点志愿服务点", "长泰县服务点", "重阳", "银行", "长乐", "长泰",
    "AI讲座：5G与乡村振兴", "ＡＩ讲座", "ＡＩ５Ｇ　講座", "洛地有声宣讲团", "洛地有声宣讲队", "宣講隊", "宣講",
    "學雷鋒·週六義剪", "学雷锋·周六义剪", "臺灣", "乾隆", "头发", "頭髮", "發展", "里程", "裡面", "後來",
    "行长银行长长的行", "有声有色", "Ⅻ号楼", "①②③", "㈠㊀", "ｘｊｔ", "XJT", "x j t", "", "   ", "…",
    "2026年3月5日 学雷锋纪念日", "A1B2C3 三号楼4单元", "𠀀𠀁 extension B", "丨乀亅", "〇一二",
]


def _title(t: str) -> list:
    return [fold(t), fold_chars(t), runs(t), title_key(t), " ".join(text_tokens(t)), " ".join(initials_tokens(t))]


def _digest(tokens: list[str]) -> str:
    # A body's hundreds of tokens, pinned by their digest: keeps the fixture small.
    return hashlib.sha256(" ".join(tokens).encode()).hexdigest()[:16]


def _query(t: str) -> object:
    try:
        q = parse_query(t)
    except ValueError as e:
        return {"error": str(e)}
    return {"tokens": list(q.tokens), "terms": list(q.terms), "initials": q.initials, "key": q.key}


def expected(titles: list[str], bodies: list[str]) -> dict:
    """What the tokenizer gives for these texts (the fixture's content)."""
    titles = sorted(set(titles) | set(TRICKY))
    chars = sorted({ch for t in titles for ch in t if is_cjk(ch)})
    return {
        "titles": {t: _title(t) for t in titles},
        "bodies": {b: _digest(text_tokens(b)) for b in bodies},
        "queries": {t: _query(t) for t in TRICKY},
        "chars": {ch: [list(initials(ch)), list(initials(ch, 1)), initial(ch)] for ch in chars},
    }


def dumps(pinned: dict) -> str:
    """The fixture's text: one text a line, so a change shows as the lines it changes."""
    def part(entries: dict) -> str:
        return ",\n".join(json.dumps(k, ensure_ascii=False) + ":" + json.dumps(v, ensure_ascii=False, separators=(",", ":"))
                          for k, v in entries.items())
    return "{\n" + ",\n".join(f'"{name}": {{\n{part(entries)}\n}}' for name, entries in pinned.items()) + "\n}\n"


def test_the_tokenizer_gives_what_it_gave_for_every_demo_text_and_the_tricky_cases():
    pinned = json.loads(FIXTURE.read_text())
    assert set(TRICKY) <= set(pinned["titles"])
    got = expected(list(pinned["titles"]), list(pinned["bodies"]))
    for part in ("chars", "queries", "titles", "bodies"):
        wrong = [k for k in pinned[part] if got[part][k] != pinned[part][k]]
        assert not wrong, f"{part}: {len(wrong)} differ, e.g. {wrong[:3]}: {[got[part][k] for k in wrong[:1]]} != {[pinned[part][k] for k in wrong[:1]]}"

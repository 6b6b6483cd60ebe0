"""Reading one cell: what calamine and csv hand over (str, float, date, datetime, time, bool)
turned into what a column holds. Each reader raises CellError with a message for staff."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from api.sheets import phrases
from api.sheets.phrases import CellError

Reader = Callable[[Any], Any]


def text(max_length: int) -> Reader:
    def read(value: Any) -> str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # calamine reads 13800138000 as 13800138000.0
        if isinstance(value, (datetime, date, time)):
            raise CellError(f"{value} 是日期或时刻；这一列写文字")
        result = str(value).strip()
        if len(result) > max_length:
            raise CellError(f"有 {len(result)} 个字，最多 {max_length} 个")
        return result

    return read


def choice(mapping: Mapping[str, StrEnum | bool]) -> Reader:
    codes = {getattr(v, "value", None): v for v in mapping.values()}

    def read(value: Any) -> Any:
        word = str(value).strip()
        if word in mapping:
            return mapping[word]
        if word.upper() in codes:
            return codes[word.upper()]
        raise CellError(f"{word!r} 不在可选项中；可选：{'、'.join(mapping)}")

    return read


def integer(low: int, high: int) -> Reader:
    def read(value: Any) -> int:
        if isinstance(value, bool):
            raise CellError(f"{value} 不是整数")
        try:
            number = float(str(value).strip()) if not isinstance(value, (int, float)) else value
        except ValueError:
            raise CellError(f"{value!r} 不是整数") from None
        if not float(number).is_integer():
            raise CellError(f"{value} 不是整数")
        if not low <= number <= high:
            raise CellError(f"{int(number)} 要在 {low} 到 {high} 之间")
        return int(number)

    return read


def decimal(low: float, high: float) -> Reader:
    def read(value: Any) -> float:
        try:
            number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float(str(value).strip())
        except ValueError:
            raise CellError(f"{value!r} 不是数字") from None
        if not low <= number <= high:
            raise CellError(f"{number} 要在 {low} 到 {high} 之间")
        return number

    return read


def listed(max_items: int, max_length: int) -> Reader:
    """Several names in one cell, separated by 、 , ， ; or ；."""
    one = text(max_length)

    def read(value: Any) -> list[str]:
        raw = str(value)
        for sep in "，,;；/":
            raw = raw.replace(sep, "、")
        items = [one(part) for part in raw.split("、") if part.strip()]
        if len(items) > max_items:
            raise CellError(f"写了 {len(items)} 个，最多 {max_items} 个")
        return list(dict.fromkeys(items))

    return read


def site_path(value: Any) -> tuple[str, ...]:
    """A site named by the path of names from the top, e.g. 洛江区/河市镇/洪四村."""
    parts = tuple(p.strip() for p in str(value).replace("／", "/").split("/") if p.strip())
    if not parts:
        raise CellError("阵地路径为空；写成 中心名/所名/站名")
    return parts


day: Reader = phrases.parse_date
times: Reader = phrases.parse_times

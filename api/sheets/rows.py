"""One row of a sheet checked cell by cell: a pydantic model per sheet whose fields are the
columns (aliased by their Chinese headers), so each error maps back to (row, header)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from api.sheets.columns import Sheet
from api.sheets.phrases import CellError


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel numbers it (the header is row 1)
    header: str | None  # the Chinese column header; None for the file as a whole
    message: str
    value: str = ""
    code: str | None = None  # OUT_OF_SCOPE / FORBIDDEN when the caller's rights refused the row


def shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= 100 else text[:100] + "…"


def _reader(read):
    def validate(value: Any) -> Any:
        try:
            return read(value)
        except CellError as exc:
            raise ValueError(exc.message) from None

    return validate


@cache
def model(sheet: Sheet) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for column in sheet.columns:
        kind = Annotated[Any, BeforeValidator(_reader(column.read))]
        default = ... if column.required else None
        fields[column.key] = (kind, Field(default, alias=column.header))
    return create_model(f"{sheet.kind.title()}Row", __config__=ConfigDict(extra="ignore"), **fields)


def check_headers(sheet: Sheet, headers: list[str]) -> list[RowError]:
    """Every header must be the sheet's; every required column must be there."""
    known = set(sheet.headers)
    errors = [
        RowError(1, h or None, f"“{h}”不是{sheet.title}表的列；列名见模板" if h else "有一列没有列名", h)
        for h in headers if h not in known
    ]
    errors += [RowError(1, h, f"{sheet.title}表的第 {headers.index(h) + 1} 列“{h}”重复了", h) for h in set(headers) if headers.count(h) > 1]
    errors += [RowError(1, c.header, f"缺少必填列“{c.header}”", "") for c in sheet.columns if c.required and c.header not in headers]
    return errors


def read_row(sheet: Sheet, headers: list[str], number: int, cells: list[Any]) -> tuple[dict[str, Any], list[RowError]]:
    """The row's values by column key (only the columns the file has), or its errors.

    A blank cell is the column's empty value: the sheet is the truth for the columns it has."""
    raw = {h: c for h, c in zip(headers, cells) if h and not (isinstance(c, str) and not c.strip())}
    try:
        checked = model(sheet).model_validate(raw)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            header = str(error["loc"][0])
            message = "必填" if error["type"] == "missing" else error["msg"].removeprefix("Value error, ")
            errors.append(RowError(number, header, message, shown(raw.get(header, ""))))
        return {}, errors
    present = {c.key for c in sheet.columns if c.header in headers}
    return {k: v for k, v in checked.model_dump().items() if k in present}, []

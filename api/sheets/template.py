"""The .xlsx template of a sheet: Chinese headers with a note each, drop-down lists for the
enumerations, a filled-in example on its own sheet (so it is never imported by mistake)."""

from __future__ import annotations

import io
from datetime import date

import xlsxwriter

from api.models.platforms import Platform
from api.sheets.columns import PLATFORMS, Sheet

VALIDATED_ROWS = 5000  # drop-downs cover this many rows below the header
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def platform_names() -> list[str]:
    return [p.name for p in await Platform.filter(deleted_at__isnull=True).order_by("sort_order", "id")]


async def build_template(sheet: Sheet) -> bytes:
    platforms = await platform_names()
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#FDE9D9", "border": 1})
    required = book.add_format({"bold": True, "bg_color": "#F4B084", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    data = book.add_worksheet(sheet.title)
    example = book.add_worksheet("填写示例")
    notes = book.add_worksheet("说明")
    lists = book.add_worksheet("选项")
    for i, column in enumerate(sheet.columns):
        data.write_string(0, i, column.header, required if column.required else bold)
        data.write_comment(0, i, column.note, {"x_scale": 2, "y_scale": 1.5})
        data.set_column(i, i, max(10, len(column.header) * 2 + 4))
        example.write_string(0, i, column.header, bold)
        value = platforms[0] if column.choices == PLATFORMS and platforms else column.example
        if isinstance(value, date):
            value = value.isoformat()
        example.write(1, i, value)
        example.set_column(i, i, max(10, len(column.header) * 2 + 4))
        words = platforms if column.choices == PLATFORMS else list(column.choices)
        if words:
            lists.write_string(0, i, column.header)
            for j, word in enumerate(words, start=1):
                lists.write_string(j, i, word)
            letter = xlsxwriter.utility.xl_col_to_name(i)
            data.data_validation(1, i, VALIDATED_ROWS, i, {
                "validate": "list",
                "source": f"=选项!${letter}$2:${letter}${len(words) + 1}",
                "error_title": column.header,
                "error_message": f"请从下拉列表中选择：{'、'.join(words)[:200]}",
            })
    data.freeze_panes(1, 0)
    notes.write_row(0, 0, ["列", "必填", "填写说明"], bold)
    notes.set_column(0, 0, 16)
    notes.set_column(2, 2, 90, wrap)
    for i, column in enumerate(sheet.columns, start=1):
        notes.write_row(i, 0, [column.header, "是" if column.required else "", column.note])
    notes.write_row(len(sheet.columns) + 2, 0, ["再次导入", "", f"按 {sheet.key_note} 找到已有记录并更新，不会重复创建"])
    lists.hide()
    data.activate()
    book.close()
    return out.getvalue()

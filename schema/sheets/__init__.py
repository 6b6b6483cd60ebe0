"""Sheets (表格) over GraphQL: importing an uploaded .xlsx/.csv (api/sheets holds the rules)."""

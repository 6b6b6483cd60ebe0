"""Spreadsheets in and out (Excel / CSV): templates, import, export, the monthly plan.

Rules only: no HTTP or GraphQL here (api/sheets/routes.py is the HTTP face, schema/sheets/
the GraphQL one). Writes go through the same domain functions as the mutations.
"""

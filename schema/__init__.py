"""The GraphQL face of Wenming (strawberry). Only api/app.py and the CLI import this."""

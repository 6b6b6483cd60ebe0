"""Tortoise models, one module per domain. Import models from their own module."""

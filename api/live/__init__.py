"""Live updates: the change bus every app instance carries, and what is announced on it."""

from __future__ import annotations

from api.live.bus import Bus, LocalBus, RedisBus
from api.settings import Settings

__all__ = ["Bus", "LocalBus", "RedisBus", "create_bus"]


def create_bus(settings: Settings) -> Bus:
    """Redis when WENMING_REDIS_URL is set (several workers share changes), else in-process."""
    if settings.redis_url:
        return RedisBus(settings.redis_url, prefix=settings.redis_prefix)
    return LocalBus()

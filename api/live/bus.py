"""The change bus: writers publish small JSON messages on named channels, listeners follow them.

    await bus.publish("occurrences", {"change": "CREATED", ...})

    async with bus.subscribe("occurrences") as messages:
        async for message in messages:  # dicts, in publishing order, until the block is left
            ...

One bus per app instance (``app.state.bus``, ``info.context.bus``). ``LocalBus`` delivers
within the process; ``RedisBus`` goes through Redis pub/sub so every worker's listeners hear
every worker's writes. Messages must be JSON objects: both buses send them as JSON, so a
message that works on one works on the other. Publishing never blocks on slow listeners and
never raises because Redis is away (the write that announces has already committed).

A listener may miss messages while Redis is away (other workers' writes) or when it falls
QUEUE_SIZE behind. It is then sent ``RESYNC`` (``{"resync": true, "reason": ...}``) as soon
as the bus can tell: subscriptions pass it on, and screens refetch what they show.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator

log = logging.getLogger("wenming.live")

QUEUE_SIZE = 1000  # per listener; a listener this far behind loses its oldest messages
RECONNECT_DELAYS = (0.1, 0.5, 1, 2, 5)  # seconds between attempts; the last one repeats
READY_WAIT = 3.0  # how long a new listener waits for Redis before listening locally only
PUBLISH_BACKOFF = 5.0  # after a failed publish, this long without trying Redis (a write's many
# announcements must not each wait for a connection timeout)


RESYNC = {"resync": True}


def is_resync(message: dict) -> bool:
    return message.get("resync") is True


def encode(message: dict) -> str:
    if not isinstance(message, dict):
        raise TypeError(f"a bus message is a dict, got {type(message).__name__}")
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


class _Fanout:
    """Local delivery: one bounded queue per listener."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict]]] = defaultdict(set)

    def deliver(self, channel: str, text: str) -> None:
        for queue in list(self._queues.get(channel, ())):
            if queue.full():  # drop the oldest rather than stall the publisher, and say so last
                queue.get_nowait()
                queue.get_nowait()
                log.warning("a listener on %r is %d messages behind; dropped the oldest", channel, QUEUE_SIZE)
                queue.put_nowait(RESYNC | {"reason": "behind"})
            queue.put_nowait(json.loads(text))  # each listener gets its own copy

    def resync(self, reason: str) -> int:
        """Tell every listener of every channel it may have missed messages; how many were told."""
        told = 0
        for channel in list(self._queues):
            for queue in list(self._queues.get(channel, ())):
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(RESYNC | {"reason": reason})
                told += 1
        return told

    @contextlib.asynccontextmanager
    async def listen(self, channel: str) -> AsyncIterator[AsyncIterator[dict]]:
        queue: asyncio.Queue[dict] = asyncio.Queue(QUEUE_SIZE)
        self._queues[channel].add(queue)

        async def messages() -> AsyncIterator[dict]:
            while True:
                yield await queue.get()

        try:
            yield messages()
        finally:
            self._queues[channel].discard(queue)
            if not self._queues[channel]:
                del self._queues[channel]

    def listeners(self, channel: str) -> int:
        return len(self._queues.get(channel, ()))


class Bus:
    """The interface publishers and subscribers rely on."""

    async def publish(self, channel: str, message: dict) -> None:
        raise NotImplementedError

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[AsyncIterator[dict]]:
        raise NotImplementedError

    def listeners(self, channel: str) -> int:
        """How many listeners of this process follow the channel (for health and tests)."""
        raise NotImplementedError

    async def close(self) -> None:
        pass


class LocalBus(Bus):
    """In-process bus: enough when one process serves everything."""

    def __init__(self) -> None:
        self._fanout = _Fanout()

    async def publish(self, channel: str, message: dict) -> None:
        self._fanout.deliver(channel, encode(message))

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[AsyncIterator[dict]]:
        return self._fanout.listen(channel)

    def listeners(self, channel: str) -> int:
        return self._fanout.listeners(channel)


class RedisBus(Bus):
    """Redis pub/sub shared by every worker. One Redis connection per process listens to all
    channels (``<prefix>:*``) and fans messages out to this process's listeners, so a thousand
    screens cost one connection. If Redis is unreachable the bus logs, keeps retrying, and
    meanwhile delivers this process's own messages locally."""

    def __init__(self, url: str, prefix: str = "wenming", *, ready_wait: float = READY_WAIT) -> None:
        from redis.asyncio import Redis  # imported here: only Redis deployments need it

        self.url = url
        self.prefix = prefix
        self.ready_wait = ready_wait
        self._redis = Redis.from_url(url, socket_connect_timeout=2, socket_keepalive=True)
        self._fanout = _Fanout()
        self._ready = asyncio.Event()  # set while the listening connection is subscribed
        self._reader: asyncio.Task | None = None
        self._skip_redis_until = 0.0  # loop time; see PUBLISH_BACKOFF

    def _key(self, channel: str) -> str:
        return f"{self.prefix}:{channel}"

    async def publish(self, channel: str, message: dict) -> None:
        text = encode(message)
        from redis.exceptions import RedisError

        loop_time = asyncio.get_running_loop().time()
        if loop_time < self._skip_redis_until and not self._ready.is_set():
            self._fanout.deliver(channel, text)
            return
        try:
            try:
                await self._redis.publish(self._key(channel), text)
            except (RedisError, OSError) as exc:
                # Often only this connection is dead (Redis closed it after `timeout` idle
                # seconds, a proxy dropped it): try once more on a new one before giving up.
                log.info("Redis publish failed (%s); retrying on a new connection", exc)
                await self._redis.connection_pool.disconnect(inuse_connections=False)
                await self._redis.publish(self._key(channel), text)
        except (RedisError, OSError) as exc:
            self._skip_redis_until = loop_time + PUBLISH_BACKOFF
            log.error("Redis %s unreachable (%s): %r delivered in this process only", self.url, exc, channel)
            self._fanout.deliver(channel, text)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[dict]]:
        self._start()
        if not self._ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), self.ready_wait)
        async with self._fanout.listen(channel) as messages:
            yield messages

    def listeners(self, channel: str) -> int:
        return self._fanout.listeners(channel)

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    def _start(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_forever(), name="wenming-redis-bus")

    async def _read_forever(self) -> None:
        from redis.exceptions import RedisError

        attempt = 0
        pattern = self._key("*")
        strip = len(self.prefix) + 1
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(pattern)
                async for item in pubsub.listen():
                    if item["type"] == "psubscribe":
                        self._ready.set()
                        if attempt:
                            # Other workers' messages sent meanwhile never reached this one.
                            told = self._fanout.resync("reconnected")
                            log.info("Redis %s reachable again; live updates shared across workers; "
                                     "%d listeners told to resync", self.url, told)
                        attempt = 0
                    elif item["type"] == "pmessage":
                        channel = item["channel"].decode()[strip:]
                        try:
                            self._fanout.deliver(channel, item["data"].decode())
                        except ValueError:
                            log.warning("ignored a message on %r that is not JSON", channel)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self._ready.clear()
                delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
                log.error("Redis %s unreachable (%s); retrying in %ss", self.url, exc, delay)
                attempt += 1
                await asyncio.sleep(delay)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        await self._redis.aclose()

"""Checks that run before the CLI starts anything: the database URL, the database itself, and
the address to listen on. Each problem becomes a ConfigError with one sentence that names the
setting and what to do, instead of a traceback (or, for a SQLite file in a missing folder, a
migration that waits forever: aiosqlite never reports that connection failure)."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
from pathlib import Path

from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import ConfigurationError

from api.settings import ConfigError

DATABASE_SETTING = "WENMING_DATABASE_URL"
CONNECT_TIMEOUT = 5.0  # seconds: an address that never answers (a firewall drops the packets)
SUPPORTED = "sqlite://path/to/file.sqlite3 or postgres://user:password@host:5432/database"


def database_kind(url: str) -> str:
    """'sqlite' or 'postgres', or a ConfigError when the URL names anything else."""
    scheme, sep, _ = url.partition("://")
    if not sep or not scheme:
        raise ConfigError(f"{DATABASE_SETTING} must be a database URL such as {SUPPORTED}, got {url!r}")
    scheme = scheme.lower()
    if scheme == "sqlite":
        return "sqlite"
    if scheme in {"postgres", "postgresql", "asyncpg"}:
        return "postgres"
    raise ConfigError(f"{DATABASE_SETTING} names a {scheme} database, which Wenming does not support: use {SUPPORTED}")


def _credentials(url: str) -> dict:
    try:
        return expand_db_url(url)["credentials"]
    except (ConfigurationError, ValueError) as exc:
        raise ConfigError(f"{DATABASE_SETTING} cannot be read ({exc}): use {SUPPORTED}") from None


def check_sqlite(url: str) -> None:
    """The file, or the folder it will be created in, must exist and be writable: SQLite writes
    the file and, in WAL mode, two more beside it."""
    path = _credentials(url)["file_path"]
    if path == ":memory:":
        return
    file = Path(path).expanduser().absolute()
    folder = file.parent
    if not folder.is_dir():
        raise ConfigError(
            f"{DATABASE_SETTING} puts the SQLite file in {folder}, which does not exist: create the folder or choose another path"
        )
    if file.exists() and (file.is_dir() or not os.access(file, os.R_OK | os.W_OK)):
        what = "is a folder" if file.is_dir() else "cannot be written"
        raise ConfigError(f"the SQLite file {file} ({DATABASE_SETTING}) {what}: choose another path or fix its permissions")
    if not os.access(folder, os.W_OK | os.X_OK) or not _can_create_in(folder):
        raise ConfigError(
            f"{DATABASE_SETTING} puts the SQLite file in {folder}, which cannot be written: choose a writable folder"
        )


def _can_create_in(folder: Path) -> bool:
    """os.access ignores read-only mounts; creating a file does not."""
    probe = folder / f".wenming-write-test-{os.getpid()}"
    try:
        probe.touch()
    except OSError:
        return False
    probe.unlink(missing_ok=True)
    return True


async def check_postgres(url: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Connect once, the way the service will, and translate what goes wrong."""
    import asyncpg

    c = _credentials(url)
    host, port, user, database = c.get("host") or "localhost", c.get("port") or 5432, c.get("user"), c.get("database")
    where = f"PostgreSQL at {host}:{port}"
    try:
        conn = await asyncpg.connect(
            host=c.get("host"), port=port, user=user, password=c.get("password"), database=database, timeout=timeout
        )
    except asyncpg.InvalidCatalogNameError:
        raise ConfigError(
            f"{where} has no database {database!r} ({DATABASE_SETTING}): create it (createdb -h {host} -p {port} "
            f"{'-U ' + user + ' ' if user else ''}{database}) or name an existing one"
        ) from None
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError) as exc:
        raise ConfigError(f"{where} refused user {user!r} ({DATABASE_SETTING}): {exc}") from None
    except asyncpg.PostgresError as exc:
        raise ConfigError(f"{where} refused the connection ({DATABASE_SETTING}): {exc}") from None
    except (TimeoutError, asyncio.TimeoutError):
        raise ConfigError(
            f"{where} did not answer within {timeout:g} s ({DATABASE_SETTING}): check the host, the port and the firewall"
        ) from None
    except socket.gaierror:
        raise ConfigError(f"the host {host!r} in {DATABASE_SETTING} cannot be resolved: check its spelling") from None
    except OSError as exc:
        reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else (exc.strerror or str(exc))
        raise ConfigError(f"cannot reach {where} ({reason}; {DATABASE_SETTING}): is it running there?") from None
    await conn.close()


def check_database(url: str) -> None:
    """Everything about the database that would otherwise fail (or hang) once work has begun."""
    if database_kind(url) == "sqlite":
        check_sqlite(url)
    else:
        asyncio.run(check_postgres(url))


def check_listen(host: str, port: int) -> None:
    """The port must be free on that interface before migrations and the demo run."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise ConfigError(f"--host {host} is not an address of this machine (it cannot be resolved)") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"port {port} on {host} is already in use: stop what listens there or pass another --port") from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise ConfigError(f"--host {host} is not an address of this machine") from None
            if exc.errno == errno.EACCES:
                raise ConfigError(f"port {port} needs administrator rights on this machine: pass a port above 1023") from None
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def public_url_for(host: str, port: int) -> str:
    """The base URL links carry when WENMING_PUBLIC_URL is not set: the address being served.
    On every interface (0.0.0.0, ::) that is the machine's name, which the network may or may not
    resolve: set WENMING_PUBLIC_URL for a deployment."""
    if host in {"0.0.0.0", "::", ""}:
        host = socket.getfqdn() or "localhost"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{port}"

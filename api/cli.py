"""The `wenming` command: serve, migrate, demo, schema."""

from __future__ import annotations

import asyncio
import time

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api import db
from api.settings import get_settings

app = typer.Typer(help="Wenming (文明): GraphQL and iCal back end for the New Era Civilization Practice Centres.", no_args_is_help=True)
console = Console(stderr=True)


def _migrate(url: str) -> None:
    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            console.print(f"  applied [bold]{name}[/]")

    console.print(f"Migrating {_safe(url)}")
    asyncio.run(db.migrate(url, progress=progress))


def _safe(url: str) -> str:
    # Never print a password from a database URL.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}" if ":" in creds else url
    return url


def _load_demo(url: str, scale: int) -> dict[str, int]:
    from api.demo import load_demo

    async def run() -> dict[str, int]:
        async with db.connected(url):
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
                tasks: dict[str, int] = {}

                def progress(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bar.add_task(stage, total=total)
                    bar.update(tasks[stage], completed=done, total=total)

                return await load_demo(scale=scale, progress=progress)

    started = time.perf_counter()
    counts = asyncio.run(run())
    if counts.get("skipped"):
        console.print("The database already holds a network; demo data not loaded.")
    else:
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        console.print(f"Demo loaded in {time.perf_counter() - started:.1f} s: {summary}")
    return counts


@app.command()
def migrate() -> None:
    """Apply the committed database migrations (safe to run repeatedly)."""
    _migrate(get_settings().database_url)


@app.command()
def demo(scale: int = typer.Option(1, min=1, max=50, help="Grow the demo network: N times the districts")) -> None:
    """Load the deterministic demo network (a city of districts, their institutes and stations)."""
    url = get_settings().database_url
    _migrate(url)
    _load_demo(url, scale)


@app.command()
def serve(
    demo: bool = typer.Option(False, "--demo", help="Load the demo network first (skipped if data exists)"),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    workers: int = typer.Option(1, min=1, help="Worker processes (use PostgreSQL for more than one)"),
) -> None:
    """Migrate, optionally load the demo, and serve GraphQL on http://HOST:PORT/graphql."""
    import uvicorn

    settings = get_settings()
    _migrate(settings.database_url)
    if demo:
        _load_demo(settings.database_url, 1)
    console.print(f"Serving GraphQL on http://{host}:{port}/graphql")
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


@app.command("schema")
def print_schema() -> None:
    """Print the GraphQL SDL (the committed schema/schema.graphql is this output)."""
    from schema.schema import sdl

    typer.echo(sdl(), nl=False)

"""The `wenming` command: serve, migrate, demo, reindex, schema."""

from __future__ import annotations

import asyncio
import os
import time

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api import db, preflight
from api.settings import ConfigError, Settings, env_name, get_settings

SETTINGS_READ = "Settings read from the environment, or from a .env file in the current folder"
app = typer.Typer(
    help="Wenming (文明): GraphQL and iCal back end for the New Era Civilization Practice Centres.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals would print database passwords
)
console = Console(stderr=True)


def reads(*fields: str) -> str:
    """The epilog of a command's --help: the settings it reads, with their defaults."""
    lines = []
    for field in fields or tuple(Settings.model_fields):
        info = Settings.model_fields[field]
        default = info.get_default(call_default_factory=True)
        shown = f" (default {default})" if default not in (None, [], "") else ""
        lines.append(f"{env_name(field)}{shown}: {info.description}")
    # Click's help rewraps paragraphs; \b keeps each setting on its own line.
    return f"{SETTINGS_READ}:\n\n\b\n" + "\n".join(lines)


def fail(message: str) -> typer.Exit:
    console.print(f"[red]Error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        raise fail(exc.message) from None


def _check_database(url: str) -> None:
    try:
        preflight.check_database(url)
    except ConfigError as exc:
        raise fail(exc.message) from None


def _migrate(url: str, *, build_missing_index: bool = True) -> None:
    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            console.print(f"  applied [bold]{name}[/]")

    _check_database(url)
    console.print(f"Migrating {_safe(url)}")
    asyncio.run(db.migrate(url, progress=progress))
    if build_missing_index:  # the first start after the search migration: index what is there, once
        _reindex(url, only_if_empty=True)


def _safe(url: str) -> str:
    # Never print a password from a database URL.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}" if ":" in creds else url
    return url


def _load_demo(url: str, scale: int, *, bulk: bool = False, province: bool = False) -> dict[str, int]:
    from api.demo import load_demo

    async def run() -> dict[str, int]:
        # No statement timeout: a province's batches (COPY, FTS5 rebuild) are long statements.
        async with db.connected(url, timeouts=db.Timeouts(statement=None)):
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
                tasks: dict[str, int] = {}

                def progress(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bar.add_task(stage, total=total)
                    bar.update(tasks[stage], completed=done, total=total)

                return await load_demo(scale=scale, progress=progress, bulk=bulk, province=province)

    started = time.perf_counter()
    counts = asyncio.run(run())
    if counts.get("skipped"):
        console.print("The database already holds a network; demo data not loaded.")
    else:
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        console.print(f"Demo loaded in {elapsed:.1f} s: {summary}")
        console.print(f"{counts['sites'] / elapsed:.0f} sites/s, {counts['occurrences'] / elapsed:.0f} occurrences/s")
    return counts


@app.command(epilog=reads("database_url"))
def migrate() -> None:
    """Apply the committed database migrations (safe to run repeatedly)."""
    _migrate(_settings().database_url)


def _reindex(url: str, *, only_if_empty: bool) -> dict[str, int] | None:
    from api.search.index import index_is_missing, reindex

    async def run() -> dict[str, int] | None:
        async with db.connected(url):
            if only_if_empty and not await index_is_missing():
                return None
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
                tasks: dict[str, int] = {}

                def progress(kind: str, done: int, total: int) -> None:
                    if kind not in tasks:
                        tasks[kind] = bar.add_task(f"indexing {kind.lower()}s", total=total)
                    bar.update(tasks[kind], completed=done, total=total)

                return await reindex(progress)

    started = time.perf_counter()
    counts = asyncio.run(run())
    if counts is not None:
        summary = ", ".join(f"{v} {k.lower()}s" for k, v in counts.items())
        console.print(f"Search index built in {time.perf_counter() - started:.1f} s: {summary}")
    return counts


@app.command(epilog=reads("database_url"))
def reindex() -> None:
    """Rebuild the search index and the figures kept on write (subtree counts, held figures per site and day) from the data
    (after a bulk import, restoring a backup or editing the database by hand)."""
    url = _settings().database_url
    _migrate(url, build_missing_index=False)
    _reindex(url, only_if_empty=False)
    _rebuild_kept_figures(url)


def _rebuild_kept_figures(url: str) -> None:
    from api.domain import kept_figures, occurrences

    async def run() -> tuple[dict[str, int], int]:
        async with db.connected(url, timeouts=db.Timeouts(statement=None)):
            return await kept_figures.rebuild(), await occurrences.reopen_series()

    started = time.perf_counter()
    rows, reopened = asyncio.run(run())
    summary = ", ".join(f"{n} {table} rows" for table, n in rows.items())
    console.print(f"Figures kept on write rebuilt in {time.perf_counter() - started:.1f} s: {summary}")
    console.print(f"Finished marks cleared on {reopened} events: the next daily horizon run reads each once more")


@app.command(epilog=reads("database_url", "occurrence_horizon_days"))
def demo(
    scale: int = typer.Option(1, min=1, max=500, help="Grow the demo network: N times the districts (with --province: N cities)"),
    province: bool = typer.Option(
        False, "--province", help="A province: PROVINCE > N cities > 10 county centres each > ... (--scale 16: ~45,000 sites)"
    ),
    bulk: bool | None = typer.Option(
        None, "--bulk/--no-bulk", show_default="on when --scale is above 1 or with --province",
        help="Write the same rows in batches instead of one by one through the domain",
    ),
) -> None:
    """Load the deterministic demo network (a city of districts, their institutes and stations)."""
    url = _settings().database_url
    _migrate(url)
    _load_demo(url, scale, bulk=(scale > 1 or province) if bulk is None else bulk, province=province)
    _fill_holidays(url)
    _analyze(url)


def _analyze(url: str) -> None:
    from api.db.statistics import analyze

    async def run() -> None:
        # No statement timeout: ANALYZE of a province-sized PostgreSQL database takes longer.
        async with db.connected(url, timeouts=db.Timeouts(statement=None)):
            await analyze()

    started = time.perf_counter()
    asyncio.run(run())
    console.print(f"Planner statistics gathered (ANALYZE) in {time.perf_counter() - started:.1f} s")


def _fill_holidays(url: str) -> None:
    from api.china_calendar import holidays

    async def run() -> bool:
        async with db.connected(url):
            return await holidays.ensure_filled()

    if asyncio.run(run()):
        console.print(f"Holiday table filled for {holidays.DEFAULT_YEARS[0]}-{holidays.DEFAULT_YEARS[-1]}")


@app.command(epilog=reads())
def serve(
    demo: bool = typer.Option(False, "--demo", help="Load the demo network first (skipped if data exists)"),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0: every interface)"),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on"),
    workers: int = typer.Option(1, min=1, help="Worker processes (use PostgreSQL and Redis for more than one)"),
) -> None:
    """Migrate, optionally load the demo, and serve GraphQL on http://HOST:PORT/graphql."""
    import uvicorn

    settings = _settings()
    try:
        preflight.check_listen(host, port)
        if settings.database_replica_url:  # refuses a replica beside anything but PostgreSQL
            db.replica_connection(settings.database_url, settings.database_replica_url)
    except ConfigError as exc:
        raise fail(exc.message) from None
    _migrate(settings.database_url)
    if demo:
        _load_demo(settings.database_url, 1)
    base = preflight.public_url_for(host, port)
    console.print(f"Serving on {base}: GraphQL and GraphiQL at {base}/graphql, feeds under {base}/feeds/")
    if settings.public_url:
        console.print(f"Feed links carry {settings.links_base} (WENMING_PUBLIC_URL)", highlight=False)
    else:
        # Every worker reads its settings from the environment: hand them the derived base.
        os.environ[env_name("public_url")] = base
        get_settings.cache_clear()
        console.print(f"Feed links carry {base}: set WENMING_PUBLIC_URL to the address subscribers reach", highlight=False)
    if settings.database_replica_url:
        console.print("Anonymous reads (feeds, boards, GraphQL queries) go to the read replica "
                      f"(WENMING_DATABASE_REPLICA_URL) while it is at most {settings.replica_max_lag_seconds:g} s behind",
                      highlight=False)
    for warning in serve_warnings(settings, workers):
        console.print(f"[yellow]Warning:[/] {warning}", highlight=False, soft_wrap=True)
    from api.limits.server import uvicorn_options

    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info",
                **uvicorn_options(settings))


def serve_warnings(settings: Settings, workers: int) -> list[str]:
    """What works with one process but not with several."""
    if workers < 2:
        return []
    found = []
    if not settings.redis_url:
        found.append(
            f"{workers} workers without WENMING_REDIS_URL: a live subscriber hears only of writes made through "
            "its own worker (set WENMING_REDIS_URL, e.g. redis://127.0.0.1:6379/0)"
        )
    if preflight.database_kind(settings.database_url) == "sqlite":
        found.append(f"{workers} workers share one SQLite file: writes wait for each other; use PostgreSQL")
    return found


@app.command("schema", epilog="Reads no settings.")
def print_schema() -> None:
    """Print the GraphQL SDL (the committed schema/schema.graphql is this output)."""
    from schema.schema import sdl

    typer.echo(sdl(), nl=False)


admin_app = typer.Typer(help="Accounts with roles on site subtrees.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (Authorization: Bearer <token>).", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(token_app, name="token")


def _run_db(work):
    """Run `work()` (a coroutine function) against the migrated database; rules print as errors."""
    from api.domain.errors import DomainError

    url = _settings().database_url
    _check_database(url)
    asyncio.run(db.migrate(url))

    async def run():
        async with db.connected(url):
            return await work()

    try:
        return asyncio.run(run())
    except DomainError as exc:
        console.print(f"[red]Error:[/] {exc.message}")
        raise typer.Exit(2) from exc


async def _sites(site_ids: list[int]):
    from api.models.sites import Site

    if not site_ids:
        roots = await Site.filter(parent_id=None, deleted_at__isnull=True)
        if not roots:
            from api.domain.errors import DomainError

            raise DomainError("there are no sites yet: load the demo (wenming demo) or create a centre first")
        return roots
    found = {s.id: s for s in await Site.filter(id__in=site_ids)}
    if missing := [i for i in site_ids if i not in found]:
        from api.domain.errors import DomainError

        raise DomainError(f"no site with id {', '.join(map(str, missing))}")
    return [found[i] for i in site_ids]


def _show_secret(secret: str) -> None:
    console.print("Token (shown once; store it now, only its hash is kept):")
    typer.echo(secret)


@admin_app.command("create", epilog=reads("database_url"))
def admin_create(
    username: str = typer.Argument(..., help="Login name, e.g. zhang.wei"),
    site: list[int] = typer.Option([], "--site", help="Site id(s) to administer (default: every centre)"),
    display_name: str = typer.Option("", help="Name as shown, e.g. 张伟"),
) -> None:
    """Create an ADMIN account on site subtrees and print its first personal token."""
    from api.domain import accounts
    from api.models.accounts import Role

    async def work():
        sites = await _sites(site)
        account = await accounts.create_account(username, display_name)
        for s in sites:
            await accounts.grant(account, s, Role.ADMIN)
        _, secret = await accounts.create_token(f"{username} (CLI)", account=account)
        return sites, secret

    sites, secret = _run_db(work)
    console.print(f"Account [bold]{username}[/] is ADMIN on: {', '.join(s.name for s in sites)}")
    _show_secret(secret)


@token_app.command("create", epilog=reads("database_url"))
def token_create(
    name: str = typer.Argument(..., help="What the token is for, e.g. 洛江区大屏"),
    account: str = typer.Option(None, help="A personal token for this account (acts with its grants)"),
    site: int = typer.Option(None, help="Service token: the site whose subtree it may act on"),
    role: str = typer.Option("VIEWER", help="Service token: VIEWER (read-only, e.g. a kiosk), EDITOR or ADMIN"),
    expires_days: int = typer.Option(None, min=1, help="Expire after this many days (default: never)"),
) -> None:
    """Create an API token and print it once."""
    from api.domain import accounts, clock
    from api.domain.errors import DomainError
    from api.models.accounts import Account, Role

    if role.upper() not in Role.__members__:
        console.print(f"[red]Error:[/] --role must be one of {', '.join(Role.__members__)}, got {role!r}")
        raise typer.Exit(2)

    async def work():
        expires = clock.now() + clock.days(expires_days) if expires_days else None
        if account:
            owner = await Account.get_or_none(username=account)
            if owner is None:
                raise DomainError(f"no account named {account!r}")
            return await accounts.create_token(name, account=owner, expires_at=expires)
        if site is None:
            raise DomainError("give --account for a personal token, or --site (and --role) for a service token")
        (scope,) = await _sites([site])
        return await accounts.create_token(name, site=scope, role=Role(role.upper()), expires_at=expires)

    token, secret = _run_db(work)
    console.print(f"Token {token.id} [bold]{name}[/] created")
    _show_secret(secret)


@token_app.command("revoke", epilog=reads("database_url"))
def token_revoke(token_id: int = typer.Argument(..., help="The token's id (see `wenming token list`)")) -> None:
    """Revoke a token at once."""
    from api.domain import accounts
    from api.domain.errors import DomainError
    from api.models.accounts import ApiToken

    async def work():
        token = await ApiToken.get_or_none(id=token_id)
        if token is None:
            raise DomainError(f"no token with id {token_id}")
        return await accounts.revoke_token(token)

    token = _run_db(work)
    console.print(f"Token {token.id} {token.name} revoked")


@token_app.command("list", epilog=reads("database_url"))
def token_list() -> None:
    """List tokens (never their secrets)."""
    from rich.table import Table

    from api.models.accounts import ApiToken

    async def work():
        return await ApiToken.all().select_related("account", "site")

    table = Table("id", "name", "prefix", "acts as", "expires", "revoked")
    for t in _run_db(work):
        who = f"account {t.account.username}" if t.account else f"{t.role.value} on {t.site.name}"
        table.add_row(str(t.id), t.name, t.prefix, who, f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "", "yes" if t.revoked_at else "")
    Console().print(table)


holidays_app = typer.Typer(help="China's public-holiday table (节假日, 调休).", no_args_is_help=True)
app.add_typer(holidays_app, name="holidays")


@holidays_app.command("sync", epilog=reads("database_url"))
def holidays_sync(
    from_year: int = typer.Option(None, "--from", help="First year (default: 2001)"),
    to_year: int = typer.Option(None, "--to", help="Last year (default: 2050)"),
) -> None:
    """Refresh the holiday table from the holidays package (an administrator's corrections stay).

    Run it after upgrading the package, e.g. once the State Council has announced next year's
    schedule (each November): the year is no longer provisional."""
    from api.china_calendar import holidays

    first = holidays.DEFAULT_YEARS[0] if from_year is None else from_year
    last = holidays.DEFAULT_YEARS[-1] if to_year is None else to_year
    if last < first:
        raise fail(f"--to ({last}) is before --from ({first})")

    async def work():
        changes: list = []
        counts = await holidays.sync(range(first, last + 1), changes)
        announced = await holidays.announced_years(first, last)
        if changes and _settings().redis_url:  # the serving workers' live listeners (one process: none)
            from api.live import create_bus
            from api.live.occurrences import announce

            bus = create_bus(_settings())
            try:
                await announce(bus, changes)
            finally:
                await bus.close()
        return counts, announced

    counts, announced = _run_db(work)
    provisional = [y for y in counts if y not in announced]
    console.print(f"Holiday table synced for {first}-{last}: {sum(counts.values())} dates; "
                  f"announced: {_years(announced) or 'none'}; "
                  f"provisional: {_years(provisional) or 'none'}", highlight=False, soft_wrap=True)


def _years(years: list[int]) -> str:
    """2027-2050, as runs."""
    runs: list[list[int]] = []
    for y in sorted(years):
        if runs and runs[-1][-1] == y - 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
# --- sheets: Excel / CSV templates, import and export (docs/sheets.md) ----------------------------

def _sheet(kind: str):
    from api.sheets.columns import SHEETS

    if kind not in SHEETS:
        raise fail(f"KIND must be one of {', '.join(SHEETS)}, got {kind!r}")
    return SHEETS[kind]


@app.command("template", epilog=reads("database_url"))
def template_command(
    kind: str = typer.Argument(..., help="sites, venues, teams, people, memberships or events"),
    output: str = typer.Option(..., "-o", "--output", help="The .xlsx file to write"),
) -> None:
    """Write the blank .xlsx template of a sheet (Chinese headers, notes, drop-downs, an example)."""
    from api.sheets.template import build_template

    sheet = _sheet(kind)
    body = _run_db(lambda: build_template(sheet))
    with open(output, "wb") as out:
        out.write(body)
    console.print(f"Template for {sheet.title} ({kind}) written to {output}", highlight=False)


def _print_report(report, verbose: bool) -> None:
    from rich.table import Table

    if report.errors:
        table = Table("行", "列", "问题", "值", title=f"{len(report.errors)} problem(s): nothing was written", title_style="red")
        for e in report.errors:
            table.add_row(str(e.row), e.header or "", e.message, e.value)
        Console(stderr=True, width=200).print(table)
        return
    done = "would be" if report.dry_run else "were"
    console.print(
        f"{report.rows} rows: {report.count('CREATE')} {done} created, {report.count('UPDATE')} {done} changed, "
        f"{report.count('UNCHANGED')} unchanged" + (" (dry run: nothing written)" if report.dry_run else ""),
        highlight=False,
    )
    if verbose or report.dry_run:
        table = Table("行", "", "记录", "改动的列")
        for o in report.outcomes:
            if o.action != "UNCHANGED":
                table.add_row(str(o.row), {"CREATE": "新建", "UPDATE": "修改"}[o.action], o.label, "、".join(o.changed))
        if table.row_count:
            Console(stderr=True, width=200).print(table)


@app.command("import", epilog=reads("database_url"))
def import_command(
    kind: str = typer.Argument(..., help="sites, venues, teams, people, memberships or events"),
    file: str = typer.Argument(..., help="An .xlsx workbook (its first sheet) or a .csv file (UTF-8 or GB18030/GBK)"),
    within: int = typer.Option(None, "--within", help="Only touch this site's subtree (a site id)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row and show what would change; write nothing"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List every created and changed row"),
) -> None:
    """Import a sheet: every row is checked first; any bad row and nothing is written."""
    from api.domain.permissions import OPERATOR
    from api.sheets.imports import import_file

    _sheet(kind)
    try:
        with open(file, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}") from None

    async def work():
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task(f"{'Checking' if dry_run else 'Importing'} {kind}", total=None)
            return await import_file(kind, data, file, actor=OPERATOR, within=within, dry_run=dry_run,
                                     progress=lambda report: bar.update(task, completed=report.checked, total=report.rows))

    report = _run_db(work)
    _print_report(report, verbose)
    if report.errors:
        raise typer.Exit(1)


def _day(value: str | None, option: str):
    if value is None:
        return None
    from api.sheets.phrases import CellError, parse_date

    try:
        return parse_date(value)
    except CellError as exc:
        raise fail(f"{option}: {exc.message}") from None


@app.command("export", epilog=reads("database_url"))
def export_command(
    kind: str = typer.Argument(..., help="sites, venues, teams, people, memberships or events"),
    output: str = typer.Option(..., "-o", "--output", help="The file to write"),
    format: str = typer.Option("xlsx", "--format", help="xlsx or csv (UTF-8 with BOM, which Excel opens correctly)"),
    within: int = typer.Option(None, "--within", help="Only this site's subtree (a site id)"),
    start: str = typer.Option(None, "--from", help="Events: first date (inclusive), e.g. 2026-03-01"),
    end: str = typer.Option(None, "--to", help="Events: last date (inclusive)"),
) -> None:
    """Export records in their template's columns (export, edit, import changes only what you edited)."""
    from api.domain.permissions import OPERATOR
    from api.models.sites import Site
    from api.sheets.exports import FORMATS, Export

    _sheet(kind)
    if format not in FORMATS:
        raise fail(f"--format must be xlsx or csv, got {format!r}")
    first, last = _day(start, "--from"), _day(end, "--to")

    async def work():
        site = None
        if within is not None:
            site = await Site.get_or_none(id=within, deleted_at__isnull=True)
            if site is None:
                from api.domain.errors import DomainError

                raise DomainError(f"no site with id {within}")
        return await FORMATS[format][0](Export(kind, OPERATOR, site, first, last))

    body = _run_db(work)
    with open(output, "wb") as out:
        out.write(body)
    console.print(f"{kind} written to {output}", highlight=False)


@app.command("plan", epilog=reads("database_url"))
def plan_command(
    site: int = typer.Argument(..., help="The site whose subtree's plan it is (a centre for a county)"),
    month: str = typer.Argument(..., help="The month, YYYY-MM"),
    format: str = typer.Option("xlsx", "--format", help="xlsx, or html (an article for the WeChat editor)"),
    output: str = typer.Option(..., "-o", "--output", help="The file to write"),
) -> None:
    """Write the monthly plan (月度活动计划): published activities grouped by township."""
    from api.domain.errors import DomainError
    from api.models.sites import Site
    from api.sheets.plan import build_plan, page, parse_month, plan_xlsx

    if format not in ("xlsx", "html"):
        raise fail(f"--format must be xlsx or html, got {format!r}")

    async def work():
        row = await Site.get_or_none(id=site, deleted_at__isnull=True)
        if row is None:
            raise DomainError(f"no site with id {site}")
        plan = await build_plan(row, parse_month(month))
        return plan, plan_xlsx(plan) if format == "xlsx" else page(plan).encode()

    plan, body = _run_db(work)
    with open(output, "wb") as out:
        out.write(body)
    console.print(f"{plan.title}: {plan.count} activities in {len(plan.groups)} groups, written to {output}", highlight=False)

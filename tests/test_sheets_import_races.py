"""Two site imports at once whose rows lock the same sites in opposite orders both commit
(issue 18), on both databases. Import A edits the 河市镇 institute, then moves a station under
the 山腰街道 institute; import B edits 山腰街道, then moves a station under 河市镇. Written row
by row, A held 河市镇 and wanted 山腰街道 while B held 山腰街道 and wanted 河市镇: PostgreSQL
broke the circle by killing one ("deadlock detected") and that import failed as a fault of
the server. Now the import PostgreSQL aborts runs again from its first row once the other has
committed (api/domain/retry.py); SQLite has one writer at a time, so there the two take turns.
An import takes no lock before its rows' own checks (the dry run test below)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from api.domain import site_counts
from api.domain.accounts import authenticate
from api.domain.permissions import OPERATOR
from api.models.sites import Site, SiteKind
from api.sheets.imports import ImportReport, import_file
from tests.auth_support import make_callers
from tests.network import build
from tests.sheets_support import sheet_rows, xlsx

WAIT = 1.0  # at most this long for the other import to write its first row (it may wait for this one)
CENTRE = "洛江区新时代文明实践中心"
OTHER_CENTRE = "泉港区新时代文明实践中心"
HESHI = f"{CENTRE}/河市镇新时代文明实践所"
SHANYAO = f"{OTHER_CENTRE}/山腰街道新时代文明实践所"


def _edit(path: str, key: str, stars: int) -> dict:
    parent, name = path.rsplit("/", 1)
    return {"外部编号": key, "上级": parent, "名称": name, "类型": "所", "星级": stars}


def _move(key: str, name: str, under: str) -> dict:
    return {"外部编号": key, "上级": under, "名称": name, "类型": "站"}


async def _two_imports(files: list[bytes]) -> list[ImportReport]:
    """Each import waits after its first row until the other has written its own (or WAIT)."""
    wrote = [asyncio.Event(), asyncio.Event()]

    def run(me: int):
        async def progress(report: ImportReport) -> None:
            if report.checked == 1:
                wrote[me].set()
                try:
                    await asyncio.wait_for(wrote[1 - me].wait(), WAIT)
                except TimeoutError:
                    pass  # the other waits for this import's locks (or, on SQLite, its transaction)

        return import_file("sites", files[me], "s.xlsx", actor=OPERATOR, progress=progress)

    return await asyncio.wait_for(asyncio.gather(run(0), run(1)), timeout=60)


async def test_two_site_imports_locking_in_opposite_orders_both_commit(db):
    n = await build()
    keys = {"HS": n.institute.id, "SY": n.other_station.parent_id, "XY": n.station2.id, "HB": n.other_station.id}
    for key, site_id in keys.items():
        await Site.filter(id=site_id).update(external_key=key)
    files = [
        xlsx(sheet_rows("sites", _edit(HESHI, "HS", 4), _move("XY", "溪阳社区新时代文明实践站", SHANYAO))),
        xlsx(sheet_rows("sites", _edit(SHANYAO, "SY", 5), _move("HB", "海滨社区新时代文明实践站", HESHI))),
    ]
    reports = await _two_imports(files)
    assert [r.errors for r in reports] == [[], []]
    assert [r.count("UPDATE") for r in reports] == [2, 2]
    sites = {s.id: s for s in await Site.all()}
    assert (sites[keys["HS"]].star_rating, sites[keys["SY"]].star_rating) == (4, 5)
    assert sites[keys["XY"]].parent_id == keys["SY"] and sites[keys["HB"]].parent_id == keys["HS"]
    for site in sites.values():
        parent = sites.get(site.parent_id)
        assert site.path == f"{parent.path if parent else '/'}{site.id}/", site.name
    below = await site_counts.below([n.centre.id, n.other_centre.id])
    assert [b.get("STATION", 0) for b in below] == [2, 1]  # each centre gave one station and got one


MOVE = """mutation($input: UpdateSiteInput!) { updateSite(input: $input) {
  site { id } errors { field message code } } }"""
HOLD = 0.4  # seconds the import stays between its rows while the GraphQL move runs (bounded)


async def test_a_graphql_move_racing_a_sites_import_waits_and_is_a_conflict(client, db):
    """updateSite moving the 洛阳村 station (its events, then its sites, in one order) while an
    import edits another institute, then moves the same station there. Row by row, the import
    held that institute and wanted the station's events, which the GraphQL move held while it
    waited for the institute. Now the import holds both from its start: the move waits, then
    finds the station changed since its caller read it (CONFLICT), and the import commits."""
    from api.domain.sites import create_site
    from tests.auth_support import make_callers, mutate
    from tests.network import gid

    n = await build()
    callers = await make_callers(n)
    second = await create_site(kind=SiteKind.INSTITUTE, name="马甲镇新时代文明实践所", parent=n.centre, external_key="MJ")
    station = await Site.get(id=n.station.id)
    await Site.filter(id=station.id).update(external_key="LY")
    sheet = xlsx(sheet_rows("sites", _edit(f"{CENTRE}/马甲镇新时代文明实践所", "MJ", 3),
                            _move("LY", station.name, f"{CENTRE}/马甲镇新时代文明实践所")))
    row_one = asyncio.Event()

    async def graphql_move() -> dict:  # its own task, outside the import's transaction
        await row_one.wait()
        return await mutate(client, callers.admin, MOVE, input={
            "id": gid("Site", station.id), "version": station.version, "parentId": gid("Site", second.id)})

    async def progress(report: ImportReport) -> None:
        if report.checked == 1 and not row_one.is_set():
            row_one.set()
            await asyncio.sleep(HOLD)  # the move reaches its locks (on SQLite: waits for this transaction)

    report, answer = await asyncio.wait_for(asyncio.gather(
        import_file("sites", sheet, "s.xlsx", actor=OPERATOR, progress=progress), graphql_move()), 60)
    assert report.errors == [] and report.count("UPDATE") == 2
    assert [e["code"] for e in answer["errors"]] == ["CONFLICT"]
    moved = await Site.get(id=station.id)
    assert moved.parent_id == second.id and moved.path == f"{second.path}{station.id}/"


async def test_a_dry_run_by_a_small_editor_locks_no_site_outside_its_scope(db, backend):
    """An EDITOR of one station dry-runs a sheet whose first row "moves" an institute of another
    county (refused for their rights): while the import runs, nothing it may not write is locked,
    so it holds up no edit or horizon job there (another connection's FOR SHARE NOWAIT)."""
    if db.name != "postgres":
        pytest.skip("row locks are PostgreSQL's (SQLite has one writer at a time)")
    net = await build()
    callers = await make_callers(net)
    actor = await authenticate(f"Bearer {callers.sibling_editor}")  # EDITOR on station2 only
    other_institute = await Site.get(id=net.other_station.parent_id)
    rows = sheet_rows("sites",
                      {"上级": net.other_centre.name, "名称": other_institute.name, "类型": "所", "星级": 1},
                      {"上级": CENTRE, "名称": "河市镇新时代文明实践所", "类型": "所"})
    seen: dict[str, str] = {}

    async def look(report: ImportReport) -> None:
        if report.checked != 1:
            return
        probe = await asyncpg.connect(backend.url.replace("postgres://", "postgresql://", 1))
        try:
            for label, site_id in (("the other institute", other_institute.id), ("its centre", net.other_centre.id),
                                   ("the institute of row 2", net.institute.id)):
                try:
                    await probe.execute(f"SELECT 1 FROM site WHERE id = {site_id} FOR SHARE NOWAIT")
                    seen[label] = "free"
                except asyncpg.LockNotAvailableError:
                    seen[label] = "locked"
        finally:
            await probe.close()

    report = await import_file("sites", xlsx(rows), "s.xlsx", actor=actor, dry_run=True, progress=look)
    assert seen == {"the other institute": "free", "its centre": "free", "the institute of row 2": "free"}
    assert [e.code for e in report.errors][:1] in (["OUT_OF_SCOPE"], ["FORBIDDEN"])

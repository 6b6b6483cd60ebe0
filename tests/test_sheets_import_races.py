"""Two site imports at once whose rows lock the same sites in opposite orders both commit
(issue 18), on both databases. Import A edits the 河市镇 institute, then moves a station under
the 山腰街道 institute; import B edits 山腰街道, then moves a station under 河市镇. Written row
by row, A held 河市镇 and wanted 山腰街道 while B held 山腰街道 and wanted 河市镇: PostgreSQL
broke the circle by killing one ("deadlock detected") and that import failed as a fault of
the server. A sites import now locks every existing site its file names before its first row,
in one order (api/domain/sites.py, lock_sites); SQLite has one writer at a time, so there the
two take turns. A write PostgreSQL still aborts for a lock cycle is run again (api/domain/retry.py)."""

from __future__ import annotations

import asyncio

from api.domain import site_counts
from api.domain.permissions import OPERATOR
from api.models.sites import Site, SiteKind
from api.sheets.imports import ImportReport, import_file
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

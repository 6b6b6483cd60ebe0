"""The shape of the network: parents that make sense, no cycles, subtrees that follow a move."""

import re

import pytest

from api.domain.errors import DomainError
from api.domain.sites import ALLOWED_PARENTS, create_site, move_site
from api.models.events import Occurrence
from api.models.sites import Site, SiteKind
from tests.network import build


async def test_a_station_cannot_sit_above_an_institute(db):
    centre = await create_site(kind=SiteKind.CENTER, name="中心")
    station = await create_site(kind=SiteKind.STATION, name="站", parent=await create_site(kind=SiteKind.INSTITUTE, name="所", parent=centre))
    with pytest.raises(DomainError) as err:
        await create_site(kind=SiteKind.INSTITUTE, name="错误的所", parent=station)
    assert err.value.field == "parentId" and err.value.code == "BAD_PARENT"
    assert "INSTITUTE cannot be placed under a STATION" in err.value.message
    assert await Site.filter(name="错误的所").count() == 0


@pytest.mark.parametrize(
    ("kind", "message"),
    [(SiteKind.STATION, "a STATION needs a parent (INSTITUTE)"), (SiteKind.INSTITUTE, "needs a parent (CENTER)")],
)
async def test_only_centres_are_roots(db, kind, message):
    with pytest.raises(DomainError, match=re.escape(message)):
        await create_site(kind=kind, name="孤儿")


async def test_a_centre_is_a_root_or_under_a_city(db):
    centre = await create_site(kind=SiteKind.CENTER, name="中心")
    with pytest.raises(DomainError, match=re.escape("allowed parents: CITY or none")):
        await create_site(kind=SiteKind.CENTER, name="另一个中心", parent=centre)
    province = await create_site(kind=SiteKind.PROVINCE, name="省")
    with pytest.raises(DomainError, match="is a root site"):
        await create_site(kind=SiteKind.PROVINCE, name="另一个省", parent=province)


def test_every_kind_has_a_parent_rule():
    assert set(ALLOWED_PARENTS) == set(SiteKind)


async def test_paths_are_materialised(db):
    net = await build()
    assert net.station.path == f"/{net.centre.id}/{net.institute.id}/{net.station.id}/"
    assert net.station.depth == 2


@pytest.mark.parametrize("target", ["station", "institute"])
async def test_a_site_cannot_move_into_its_own_subtree(db, target):
    net = await build()
    before = await Site.all().order_by("id").values_list("id", "path")
    with pytest.raises(DomainError) as err:
        await move_site(net.institute, getattr(net, target))
    assert err.value.code == "CYCLE" and err.value.field == "parentId"
    assert "inside its own subtree" in err.value.message
    assert await Site.all().order_by("id").values_list("id", "path") == before


async def test_a_move_to_a_parent_of_the_wrong_kind_is_refused(db):
    net = await build()
    with pytest.raises(DomainError, match="STATION cannot be placed under a CENTER"):
        await move_site(net.station, net.other_centre)


async def test_moving_a_station_moves_its_subtree_and_occurrences(db):
    net = await build()
    other_institute = await Site.get(name="山腰街道新时代文明实践所")
    moved = await move_site(net.station, other_institute)
    assert moved.path == f"{other_institute.path}{net.station.id}/"
    point = await Site.get(name="河市中学实践点")
    assert point.path == f"{moved.path}{point.id}/" and point.depth == 3
    paths = set(await Occurrence.filter(site_id=net.station.id).values_list("site_path", flat=True))
    assert paths == {moved.path}

"""The site tree (centre > institute > station > point, plus sub-centres and bases) and venues."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from api.demo.names import CITY, CITIES, KNOWN_VILLAGES, PROVINCE, PROVINCE_CODE, District, Namer
from api.demo.writer import DirectWriter
from api.models.sites import PilotLevel, Site, SiteKind, Venue, VenueKind

K = SiteKind
V = VenueKind

ROADS = ("文明路", "中山路", "人民路", "新华路", "幸福路", "振兴路", "和平街", "府前路", "滨江路", "丰泽街")
OPENING_HOURS = (
    "周二至周日 09:00-17:30",
    "周一至周五 08:30-12:00，14:30-17:30",
    "每天 08:00-21:00",
    "周一至周六 08:00-11:30，14:30-21:00",
    "周六、周日 09:00-17:00，平日预约开放",
)
SUB_CENTRES = (
    ("图书馆", ("阅览室", V.LIBRARY, 80, 200), ("读者报告厅", V.HALL, 120, 260)),
    ("文化馆", ("排练厅", V.HALL, 60, 120), ("非遗展示厅", V.HALL, 50, 100)),
    ("青少年宫", ("活动室", V.ROOM, 30, 50), ("小剧场", V.HALL, 150, 300)),
    ("体育中心", ("体育馆", V.HALL, 500, 1500), ("健身广场", V.SQUARE, 300, 800)),
    ("大剧院", ("剧场", V.HALL, 600, 1200), ("排练厅", V.ROOM, 40, 80)),
)
CENTRE_VENUES = (
    ("新时代文明实践展示厅", V.HALL, 80, 150), ("多功能报告厅", V.HALL, 200, 400), ("志愿者之家", V.ROOM, 30, 50),
    ("培训教室", V.ROOM, 40, 60), ("文明实践广场", V.SQUARE, 500, 1000),
)
INSTITUTE_VENUES = (
    ("会议室", V.ROOM, 30, 60), ("道德讲堂", V.HALL, 60, 120), ("综合文化服务中心", V.HALL, 100, 200),
    ("文化广场", V.SQUARE, 300, 800), ("便民服务大厅", V.OTHER, 40, 80), ("党群服务中心", V.OTHER, 40, 100),
)
VILLAGE_VENUES = (
    ("农家书屋", V.LIBRARY, 20, 40), ("老人活动中心", V.OTHER, 30, 80), ("文化广场", V.SQUARE, 200, 500),
    ("道德讲堂", V.HALL, 40, 80), ("乡村记忆馆", V.OTHER, 20, 50), ("宗祠", V.OTHER, 60, 150),
    ("孔子学堂", V.ROOM, 20, 40), ("村部会议室", V.ROOM, 20, 50),
)
COMMUNITY_VENUES = (
    ("社区书屋", V.LIBRARY, 20, 40), ("长者食堂", V.OTHER, 30, 60), ("居民议事厅", V.ROOM, 20, 50),
    ("社区广场", V.SQUARE, 150, 400), ("道德讲堂", V.HALL, 40, 80), ("党群服务中心", V.OTHER, 30, 80),
)
INDUSTRIES = ("鞋业", "纺织", "石材", "茶业", "陶瓷", "食品", "工艺", "包装")
BASES = (
    ("革命历史纪念馆新时代文明实践基地", ("展厅", V.HALL, 80, 200)),
    ("红色教育基地", ("红色讲堂", V.HALL, 60, 150)),
    ("非遗传承实践基地", ("传习所", V.ROOM, 30, 60)),
    ("农业研学基地", ("田间课堂", V.OUTDOOR, 40, 100)),
)


@dataclass
class Node:
    """A created site with what the later stages need to know about it."""

    site: Site
    place: str  # the short place name: 鲤城区, 开元街道, 团结村
    urban: bool
    institute: Node | None = None
    venue_ids: list[int] = field(default_factory=list)


@dataclass
class Centre:
    index: int
    district: District
    node: Node
    sub_centres: list[Node] = field(default_factory=list)
    institutes: list[Node] = field(default_factory=list)
    stations: list[Node] = field(default_factory=list)
    points: list[Node] = field(default_factory=list)
    bases: list[Node] = field(default_factory=list)

    @property
    def nodes(self) -> list[Node]:
        return [self.node, *self.sub_centres, *self.institutes, *self.stations, *self.points, *self.bases]

    def stations_of(self, institute: Node) -> list[Node]:
        return [s for s in self.stations if s.institute is institute]


def region_code(index: int) -> str:
    city, district = 99 - index // 99, index % 99 + 1
    return f"35{city:02d}{district:02d}"


@dataclass(frozen=True)
class Shape:
    """How many institutes a centre has, and stations an institute (inclusive ranges)."""

    institutes: tuple[int, int] = (6, 9)
    stations: tuple[int, int] = (6, 12)


CITY_SHAPE = Shape()
# A province's counties are bigger than the demo city's districts: Quanzhou's 13 centres have
# 163 institutes and 2,524 stations (about 12 and 15 each).
PROVINCE_SHAPE = Shape(institutes=(10, 15), stations=(12, 20))


class NetworkBuilder:
    def __init__(
        self, rng: random.Random, namer: Namer, progress: Callable[[int], None], writer: DirectWriter,
        shape: Shape = CITY_SHAPE,
    ) -> None:
        self.rng, self.namer, self.tick, self.writer, self.shape = rng, namer, progress, writer, shape
        self.city = CITY  # for addresses
        self.pending_venues: list[Venue] = []

    def _coords(self, lat: float, lon: float, spread: float) -> tuple[float, float]:
        r = self.rng
        return round(lat + r.uniform(-spread, spread), 6), round(lon + r.uniform(-spread, spread) * 1.1, 6)

    def _address(self, *parts: str) -> str:
        return f"{self.city}{''.join(parts)}{self.rng.choice(ROADS)}{self.rng.randint(1, 300)}号"

    def _five_haves(self, p: float) -> dict[str, bool]:
        r = self.rng
        return {
            "has_venue": r.random() < max(p, 0.97),
            "has_team": r.random() < p,
            "has_activities": r.random() < p,
            "has_projects": r.random() < p - 0.1,
            "has_mechanism": r.random() < p,
        }

    def _contact(self) -> dict[str, str]:
        return {"contact_name": self.namer.person(), "contact_phone": self.namer.phone()}

    def _venues(self, node: Node, choices, low: int, high: int) -> None:
        for name, kind, cap_low, cap_high in self.rng.sample(list(choices), self.rng.randint(low, high)):
            self.pending_venues.append(
                self.writer.row(Venue, site_id=node.site.id, name=name, kind=kind, capacity=self.rng.randint(cap_low, cap_high))
            )

    async def province(self) -> Site:
        """The province's own site (its 文明办), the root of a province network."""
        site = await self.writer.site(
            kind=K.PROVINCE, name=f"{PROVINCE}新时代文明实践指导中心", region_code=PROVINCE_CODE,
            region_unit_count=len(CITIES), address=f"{PROVINCE}{CITIES[1]}{self.rng.choice(ROADS)}1号",
            latitude=26.08, longitude=119.3, description=f"{PROVINCE}委文明办统筹指导全省新时代文明实践工作。",
            has_venue=True, has_team=True, has_activities=True, has_projects=True, has_mechanism=True,
        )
        self.tick(1)
        return site

    async def city_site(self, province: Site, index: int, centres: int) -> Site:
        """A city's site (its 市委文明办) under the province, over ``centres`` county centres."""
        name = CITIES[index % len(CITIES)] if index < len(CITIES) else f"{CITIES[index % len(CITIES)][:-1]}{index // len(CITIES) + 1}市"
        self.city = name
        lat, lon = self._coords(25.5, 118.5, 1.0)
        site = await self.writer.site(
            kind=K.CITY, parent=province, name=f"{name}新时代文明实践中心", region_code=f"35{index + 1:02d}00",
            region_unit_count=centres, address=self._address("市区"), latitude=lat, longitude=lon,
            opening_hours="周一至周五 08:30-12:00，14:30-17:30",
            description=f"市委文明办统筹{name}各县（市、区）新时代文明实践中心建设。",
            has_venue=True, has_team=True, has_activities=True, has_projects=True, has_mechanism=True,
        )
        self.tick(1)
        return site

    async def centre(self, index: int, district: District, city: Site | None = None, code: str | None = None) -> Centre:
        """A county centre and everything below it: a root, or under ``city`` in a province."""
        r = self.rng
        code = code or region_code(index)
        lat, lon = self._coords(24.9, 118.6, 0.12)
        pilot = {}
        if index % 4 == 0:
            pilot = {"pilot_level": PilotLevel.NATIONAL, "pilot_date": date(2019, 10, 1)}
        elif index % 4 == 1:
            pilot = {"pilot_level": PilotLevel.PROVINCIAL, "pilot_date": date(2020, 3, 15)}
        n_institutes = r.randint(*self.shape.institutes)
        level = district.name[-1]
        site = await self.writer.site(
            kind=K.CENTER, parent=city, name=f"{district.name}新时代文明实践中心", region_code=code,
            region_unit_count=n_institutes + (r.randint(1, 2) if r.random() < 0.3 else 0),
            address=self._address(district.name), latitude=lat, longitude=lon,
            opening_hours="周二至周日 09:00-17:30",
            description=f"由{level}委书记任中心主任，中心办公室设在{level}委宣传部，统筹整合七大服务平台资源。",
            has_venue=True, has_team=True, has_activities=True, has_projects=True, has_mechanism=True,
            **pilot, **self._contact(),
        )
        centre = Centre(index, district, Node(site, district.name, district.urban))
        self._venues(centre.node, CENTRE_VENUES, 3, 4)
        self.tick(1)
        for sub_name, *venues in r.sample(SUB_CENTRES, r.randint(1, 2)):
            sub = await self.writer.site(
                kind=K.SUB_CENTER, parent=site, name=f"{district.name}{sub_name}新时代文明实践分中心",
                address=self._address(district.name), latitude=lat + 0.004, longitude=lon - 0.003,
                opening_hours=r.choice(OPENING_HOURS), has_venue=True, has_team=True, has_activities=True,
                has_projects=r.random() < 0.8, has_mechanism=True, **self._contact(),
            )
            node = Node(sub, district.name, True)
            self._venues(node, venues, 1, 2)
            centre.sub_centres.append(node)
            self.tick(1)
        counters = {"街道": 0, "镇": 100, "乡": 200}
        preferred = list(district.townships)
        r.shuffle(preferred)
        for _ in range(n_institutes):
            await self._institute(centre, code, lat, lon, counters, tuple(preferred))
        await self._bases(centre, lat, lon)
        return centre

    async def _institute(self, centre: Centre, code: str, lat: float, lon: float, counters, preferred) -> None:
        r, district = self.rng, centre.district
        suffix = r.choices(("街道", "镇", "乡"), (8, 2, 0) if district.urban else (2, 7, 1))[0]
        town = self.namer.place(suffix, tuple(p for p in preferred if p.endswith(suffix)))
        counters[suffix] += 1
        ilat, ilon = self._coords(lat, lon, 0.06)
        n_stations = r.randint(*self.shape.stations)
        pilot = {"pilot_level": PilotLevel.MUNICIPAL, "pilot_date": date(2021, r.randint(1, 12), 1)} if r.random() < 0.1 else {}
        site = await self.writer.site(
            kind=K.INSTITUTE, parent=centre.node.site, name=f"{town}新时代文明实践所",
            region_code=f"{code}{counters[suffix]:03d}",
            region_unit_count=n_stations + (r.randint(1, 3) if r.random() < 0.35 else 0),
            address=self._address(district.name, town), latitude=ilat, longitude=ilon,
            opening_hours=r.choice(OPENING_HOURS),
            description=f"{town}党（工）委书记任所长，整合综合文化服务中心、便民服务中心等阵地资源。",
            star_rating=r.choice((3, 4, 4, 5)) if r.random() < 0.3 else None,
            **self._five_haves(0.97), **pilot, **self._contact(),
        )
        institute = Node(site, town, suffix == "街道")
        self._venues(institute, INSTITUTE_VENUES, 2, 4)
        centre.institutes.append(institute)
        self.tick(1)
        counts = {"社区": 0, "村": 200}
        for j in range(n_stations):
            urban = institute.urban and r.random() < 0.8
            kind = "社区" if urban else "村"
            known = KNOWN_VILLAGES if kind == "村" and r.random() < 0.1 else ()
            village = self.namer.place(kind, tuple(known[r.randrange(len(known)):]) if known else ())
            counts[kind] += 1
            slat, slon = self._coords(ilat, ilon, 0.02)
            star = r.choices((1, 2, 3, 4, 5), (5, 15, 35, 30, 15))[0] if r.random() < 0.55 else None
            pilot = {"pilot_level": PilotLevel.MUNICIPAL, "pilot_date": date(2022, r.randint(1, 12), 1)} if r.random() < 0.03 else {}
            station = await self.writer.site(
                kind=K.STATION, parent=site, name=f"{village}新时代文明实践站",
                region_code=f"{site.region_code}{counts[kind]:03d}",
                address=self._address(district.name, town, village), latitude=slat, longitude=slon,
                opening_hours=r.choice(OPENING_HOURS),
                description=f"{village}党组织书记任站长，配备专管员1名，每月至少开展一次文明实践活动。",
                star_rating=star, **self._five_haves(0.9), **pilot, **self._contact(),
            )
            node = Node(station, village, urban, institute)
            self._venues(node, COMMUNITY_VENUES if urban else VILLAGE_VENUES, 1, 2)
            centre.stations.append(node)
            self.tick(1)
            if r.random() < 0.3:
                await self._point(centre, node, slat, slon)
        if r.random() < 0.5:  # a school or clinic point directly under the institute
            what = r.choice(("中心小学", "中学", "卫生院", "敬老院"))
            point = await self.writer.site(
                kind=K.POINT, parent=site, name=f"{town.removesuffix(suffix)}{what}新时代文明实践点",
                address=self._address(district.name, town), latitude=ilat + 0.003, longitude=ilon + 0.002,
                **self._five_haves(0.85),
            )
            centre.points.append(Node(point, town, institute.urban, institute))
            self.tick(1)

    async def _point(self, centre: Centre, station: Node, lat: float, lon: float) -> None:
        r, district = self.rng, centre.district
        stem = station.place.removesuffix("社区").removesuffix("村")
        options = ["school", "enterprise"] + (["boat", "boat"] if district.coastal else []) + (
            [] if station.urban else ["field", "field"]
        )
        what = r.choice(options)
        venue = None
        if what == "school":
            name = f"{stem}小学新时代文明实践点"
        elif what == "enterprise":
            name = f"{stem}{r.choice(INDUSTRIES)}有限公司新时代文明实践点"
        elif what == "boat":
            name = f"闽{district.name[0]}渔{r.randint(1000, 99999):05d}号渔船新时代文明实践点"
            venue = ("船舱课堂", V.OTHER, 8, 20)
        else:
            name = f"{stem}“田间党校”新时代文明实践点"
            venue = ("田间课堂", V.OUTDOOR, 20, 60)
        site = await self.writer.site(
            kind=K.POINT, parent=station.site, name=name, latitude=round(lat + 0.002, 6),
            longitude=round(lon + 0.002, 6), address=self._address(district.name, station.institute.place, station.place),
            **self._five_haves(0.8),
        )
        node = Node(site, station.place, station.urban, station.institute)
        if venue:
            self._venues(node, (venue,), 1, 1)
        centre.points.append(node)
        self.tick(1)

    async def _bases(self, centre: Centre, lat: float, lon: float) -> None:
        r, district = self.rng, centre.district
        for name, venue in r.sample(BASES, r.randint(2, 3)):
            parent = r.choice([centre.node, *centre.institutes, *centre.stations])
            prefix = district.name if parent is centre.node else parent.place
            site = await self.writer.site(
                kind=K.BASE, parent=parent.site, name=f"{prefix}{name}",
                address=self._address(district.name), latitude=round(lat + r.uniform(-0.05, 0.05), 6),
                longitude=round(lon + r.uniform(-0.05, 0.05), 6), opening_hours="周二至周日 09:00-17:00",
                **self._five_haves(0.95),
            )
            node = Node(site, parent.place, parent.urban, parent if parent.site.kind == K.INSTITUTE else parent.institute)
            self._venues(node, (venue,), 1, 1)
            centre.bases.append(node)
            self.tick(1)

    async def save_venues(self, centres: list[Centre]) -> int:
        """Write the collected venues in one go and hand each node its venue ids."""
        by_site: dict[int, list[int]] = {}
        for venue, venue_id in zip(self.pending_venues, await self.writer.venues(self.pending_venues)):
            by_site.setdefault(venue.site_id, []).append(venue_id)
        for c in centres:
            for n in c.nodes:
                n.venue_ids = by_site.get(n.site.id, [])
        count = len(self.pending_venues)
        self.pending_venues = []
        return count

"""Finding the records a sheet names: sites by their path of names (read as rows name them, the
recently used kept), and among records of one name the one nearest a site. Kept current as
the import creates records, so a row may name a site an earlier row created."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from api.models.sites import Site
from api.sheets.phrases import CellError


@dataclass
class SiteRef:
    id: int
    name: str
    path: str  # the id path, /1/5/12/
    parent_id: int | None


CACHED = 8192  # sites an import or export keeps at hand; more than an export's page (2,000) and its ancestors


class SiteIndex:
    """Sites by id and by path of names, read from the database as rows name them. The most
    recently used CACHED are kept (a sheet's rows name the same townships again and again), so
    memory does not grow with the network: holding all of a province's 50,000 sites took 30 MB."""

    def __init__(self) -> None:
        self._by_id: OrderedDict[int, SiteRef] = OrderedDict()
        self._by_key: OrderedDict[tuple[int | None, str], SiteRef] = OrderedDict()  # (parent id, name)

    def add(self, ref: SiteRef) -> None:
        for cache, key in ((self._by_id, ref.id), (self._by_key, (ref.parent_id, ref.name))):
            cache[key] = ref
            cache.move_to_end(key)
            if len(cache) > CACHED:
                cache.popitem(last=False)

    def forget(self) -> None:
        """After a move or a rename: paths and names of a whole subtree may have changed."""
        self._by_id.clear()
        self._by_key.clear()

    async def get(self, names: tuple[str, ...]) -> SiteRef | None:
        """The site at this path of names (each name under the one before), or None."""
        ref = None
        for name in names:
            parent_id = ref.id if ref else None
            ref = self._by_key.get((parent_id, name))
            if ref is None:
                rows = await _child(parent_id, name).limit(1).values_list("id", "name", "path", "parent_id")
                if not rows:
                    return None
                ref = SiteRef(*rows[0])
            self.add(ref)
        return ref

    async def child(self, parent: SiteRef | None, name: str) -> Site | None:
        """The whole row of the site of this name under `parent` (a root when None)."""
        site = await _child(parent.id if parent else None, name).first()
        if site is not None:
            self.add(SiteRef(site.id, site.name, site.path, site.parent_id))
        return site

    async def find(self, names: tuple[str, ...]) -> SiteRef:
        if (ref := await self.get(names)) is not None:
            return ref
        written = "/".join(names)
        same_name = await Site.filter(name=names[-1], deleted_at__isnull=True).order_by("id").limit(2).values_list(
            "id", "name", "path", "parent_id")
        if len(same_name) == 1:
            raise CellError(f"没有阵地 {written}；名为“{names[-1]}”的阵地是 {await self.text_of(SiteRef(*same_name[0]))}")
        if same_name:
            count = await Site.filter(name=names[-1], deleted_at__isnull=True).count()
            raise CellError(f"没有阵地 {written}；有 {count} 个阵地叫“{names[-1]}”，请从中心写起完整路径")
        raise CellError(f"没有阵地 {written}（名称路径从中心写起，用 / 分隔）")

    async def load(self, ids) -> None:
        """Have these sites and their ancestors at hand (one or two queries), for known()."""
        missing = {i for i in ids if i and i not in self._by_id}
        for _ in range(2):  # the sites, then their ancestors
            if not missing:
                return
            rows = await Site.filter(id__in=missing, deleted_at__isnull=True).values_list("id", "name", "path", "parent_id")
            for row in rows:
                self.add(SiteRef(*row))
            missing = {int(p) for _, _, path, _ in rows for p in path.strip("/").split("/")} - set(self._by_id)

    def known(self, site_id: int | None) -> SiteRef | None:
        """A site load() brought (None for a deleted one)."""
        return self._by_id.get(site_id) if site_id else None

    async def ref(self, site_id: int | None) -> SiteRef | None:
        await self.load([site_id])
        return self.known(site_id)

    def names_known(self, ref: SiteRef) -> str:
        """The path of names of a site whose ancestors load() brought ("" when one is deleted:
        the site cannot be reached by names)."""
        names = []
        for part in ref.path.strip("/").split("/"):
            if (parent := self._by_id.get(int(part))) is None:
                return ""
            names.append(parent.name)
        return "/".join(names)

    async def text_of(self, ref: SiteRef) -> str:
        await self.load([ref.id] + [int(p) for p in ref.path.strip("/").split("/")])
        return self.names_known(ref)


def _child(parent_id: int | None, name: str):
    # The newest of two namesakes under one parent, every time.
    query = Site.filter(name=name, deleted_at__isnull=True).order_by("-id")
    return query.filter(parent_id=parent_id) if parent_id else query.filter(parent_id__isnull=True)


def pick_nearest(candidates: list, site_path: str, path_of, what: str, name: str) -> object:
    """One record of a name: the only one, or the one whose site is nearest above `site_path`
    (its own site first, then its township, then its county). Ambiguity is an error."""
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise CellError(f"没有名为“{name}”的{what}")
    above = [c for c in candidates if site_path.startswith(path_of(c) or "\0")]
    if above:
        deepest = max(len(path_of(c)) for c in above)
        nearest = [c for c in above if len(path_of(c)) == deepest]
        if len(nearest) == 1:
            return nearest[0]
    raise CellError(f"有 {len(candidates)} 个{what}叫“{name}”，无法确定是哪一个；请改名或写外部编号")

"""Finding the records a sheet names: sites by their path of names, teams, people, venues and
platforms by name, and any record by its 外部编号. Loaded once per import, kept current as
the import creates records, so a row may name a site an earlier row created."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from api.models.sites import Site
from api.sheets.phrases import CellError


@dataclass
class SiteRef:
    id: int
    name: str
    path: str  # the id path, /1/5/12/
    parent_id: int | None


@dataclass
class SiteIndex:
    by_id: dict[int, SiteRef] = field(default_factory=dict)
    by_names: dict[tuple[str, ...], SiteRef] = field(default_factory=dict)
    # Only for error messages: a name written alone is found among all sites of that name.
    by_last_name: dict[str, list[SiteRef]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    async def load(cls) -> SiteIndex:
        index = cls()
        rows = await Site.filter(deleted_at__isnull=True).order_by("depth", "id").values_list("id", "name", "path", "parent_id")
        for site_id, name, path, parent_id in rows:
            index.add(SiteRef(site_id, name, path, parent_id))
        return index

    def add(self, ref: SiteRef) -> None:
        self.by_id[ref.id] = ref
        self.by_names[self.names_of(ref)] = ref
        self.by_last_name[ref.name].append(ref)

    def drop(self, ref: SiteRef) -> None:
        self.by_names.pop(self.names_of(ref), None)
        self.by_last_name[ref.name] = [r for r in self.by_last_name[ref.name] if r.id != ref.id]

    def names_of(self, ref: SiteRef) -> tuple[str, ...]:
        names = []
        for part in ref.path.strip("/").split("/"):
            parent = self.by_id.get(int(part))
            if parent is None:  # an ancestor deleted while its subtree lives on: not reachable by names
                return ("\0", ref.path)
            names.append(parent.name)
        return tuple(names)

    def text_of(self, ref: SiteRef) -> str:
        return "/".join(self.names_of(ref))

    def find(self, names: tuple[str, ...]) -> SiteRef:
        if (ref := self.by_names.get(names)) is not None:
            return ref
        written = "/".join(names)
        same_name = self.by_last_name.get(names[-1], [])
        if len(same_name) == 1:
            raise CellError(f"没有阵地 {written}；名为“{names[-1]}”的阵地是 {self.text_of(same_name[0])}")
        if same_name:
            raise CellError(f"没有阵地 {written}；有 {len(same_name)} 个阵地叫“{names[-1]}”，请从中心写起完整路径")
        raise CellError(f"没有阵地 {written}（名称路径从中心写起，用 / 分隔）")

    def is_under(self, ref: SiteRef, ancestor_path: str) -> bool:
        return ref.path.startswith(ancestor_path)


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

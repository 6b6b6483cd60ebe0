"""Service orders (点单 - 派单 - 接单 - 评单): the menu, the orders and their history."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from api.models.base import Record


class OrderStatus(StrEnum):
    ORDERED = "ORDERED"  # 已点单: placed by a resident
    DISPATCHED = "DISPATCHED"  # 已派单: the centre picked a team
    ACCEPTED = "ACCEPTED"  # 已接单: the team took it
    DECLINED = "DECLINED"  # 已拒单: the team cannot; the centre dispatches again
    SCHEDULED = "SCHEDULED"  # 已排期: a date, and an activity on the calendar
    DONE = "DONE"  # 已完成: carried out, attendance recorded
    RATED = "RATED"  # 已评单: the resident gave stars
    CANCELLED = "CANCELLED"  # 已取消: by the resident, before it was done


class Party(StrEnum):
    STAFF = "STAFF"  # centre or institute staff: EDITOR on the order's site
    TEAM = "TEAM"  # the assigned team: EDITOR covering the team's home site
    RESIDENT = "RESIDENT"  # whoever holds the order token


class ServiceItem(Record):
    """One entry of a service menu (服务菜单)."""

    id = fields.IntField(primary_key=True)
    platform = fields.ForeignKeyField("wenming.Platform", related_name="service_items", on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=100)
    description = fields.TextField(default="")
    typical_minutes = fields.IntField(default=90, description="Typical duration, the default length of a scheduled activity")
    published = fields.BooleanField(default=False, db_index=True, description="Only published items can be ordered")
    # Where it is offered and who offers it: ServiceItemSite and ServiceItemTeam below.

    class Meta:
        table = "service_item"
        ordering = ["id"]


class ServiceItemSite(Model):
    """The item is offered at this site, and so on the menu of every site below it."""

    id = fields.IntField(primary_key=True)
    item = fields.ForeignKeyField("wenming.ServiceItem", related_name="site_links", on_delete=fields.CASCADE)
    site = fields.ForeignKeyField("wenming.Site", related_name="service_item_links", on_delete=fields.CASCADE)

    class Meta:
        table = "service_item_site"
        unique_together = (("item", "site"),)


class ServiceItemTeam(Model):
    """This team offers the item: the dispatch desk's first choice."""

    id = fields.IntField(primary_key=True)
    item = fields.ForeignKeyField("wenming.ServiceItem", related_name="team_links", on_delete=fields.CASCADE)
    team = fields.ForeignKeyField("wenming.Team", related_name="service_item_links", on_delete=fields.CASCADE)

    class Meta:
        table = "service_item_team"
        unique_together = (("item", "team"),)


class Order(Record):
    """A resident's order (点单). "order" is an SQL keyword, hence the table name."""

    id = fields.IntField(primary_key=True)
    item = fields.ForeignKeyField("wenming.ServiceItem", related_name="orders", on_delete=fields.RESTRICT)
    # Copied from the item when ordered: statistics group by it, and it survives item edits.
    platform = fields.ForeignKeyField("wenming.Platform", related_name="orders", on_delete=fields.RESTRICT)
    site = fields.ForeignKeyField("wenming.Site", related_name="orders", on_delete=fields.RESTRICT)
    site_path = fields.CharField(max_length=255, db_index=True, description="The site's path, for subtree filters")
    preferred_times = fields.CharField(max_length=200, default="", description="When the resident would like it, as written")
    note = fields.TextField(default="")
    # Private: only staff (and the serving team) see these.
    resident_name = fields.CharField(max_length=50)
    resident_phone = fields.CharField(max_length=30)
    token_hash = fields.CharField(max_length=64, unique=True, description="SHA-256 of the resident's order token")
    status = fields.CharEnumField(OrderStatus, max_length=12, default=OrderStatus.ORDERED, db_index=True)
    team = fields.ForeignKeyField("wenming.Team", related_name="orders", null=True, on_delete=fields.RESTRICT)
    decline_reason = fields.CharField(max_length=200, default="")
    event = fields.ForeignKeyField("wenming.Event", related_name="orders", null=True, on_delete=fields.SET_NULL)
    attendance = fields.IntField(null=True)
    rating = fields.SmallIntField(null=True)
    rating_comment = fields.CharField(max_length=500, default="")
    dispatched_at = fields.DatetimeField(null=True, description="The latest dispatch")
    # Durations kept as whole seconds when they happen, so medians are plain SQL on both backends.
    seconds_to_dispatch = fields.IntField(null=True, description="From ordering to the first dispatch")
    seconds_to_accept = fields.IntField(null=True, description="From the latest dispatch to acceptance")

    class Meta:
        table = "service_order"
        ordering = ["id"]


class OrderTransition(Model):
    """One step in an order's history: from, to, who and when."""

    id = fields.IntField(primary_key=True)
    order = fields.ForeignKeyField("wenming.Order", related_name="transitions", on_delete=fields.CASCADE)
    from_status = fields.CharEnumField(OrderStatus, max_length=12, null=True, description="Null for the order being placed")
    to_status = fields.CharEnumField(OrderStatus, max_length=12)
    party = fields.CharEnumField(Party, max_length=8)
    actor = fields.CharField(max_length=120, description="The account or token label, or 'resident'")
    at = fields.DatetimeField()
    note = fields.CharField(max_length=500, default="")

    class Meta:
        table = "service_order_transition"
        ordering = ["at", "id"]

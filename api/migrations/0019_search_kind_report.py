"""SearchDoc.kind gained REPORT (issue 16): its description lists the choices.

Only the description changes, so no table is rebuilt (see AlterFieldDescription).
"""

from tortoise import fields, migrations

from api.db.migration_ops import AlterFieldDescription
from api.models.search import SearchKind


class Migration(migrations.Migration):
    dependencies = [("wenming", "0018_site_tiers")]

    initial = False

    operations = [
        AlterFieldDescription(
            model_name="SearchDoc",
            name="kind",
            field=fields.CharEnumField(
                description="SITE: SITE\nTEAM: TEAM\nLECTURER: LECTURER\nEVENT: EVENT\nREPORT: REPORT",
                enum_type=SearchKind,
                max_length=12,
            ),
        ),
    ]

"""Migration operations Tortoise does not have."""

from __future__ import annotations

from tortoise.migrations import operations as ops


class AlterFieldDescription(ops.AlterField):
    """A field's description (its enum choices, say) changed; the column did not.

    Tortoise's AlterField rebuilds the whole table on SQLite, which drops the table's
    triggers (search_doc's keep the FTS5 index): for a description nothing in the database
    needs to change, so only the migration state moves.
    """

    def describe(self) -> str:
        return f"Alter the description of {self.name} on {self.model_name}"

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

"""Shared by the report tests: queries, and writing a report through the real API."""

from __future__ import annotations

from api.domain import accounts
from api.models.accounts import Role
from tests.auth_support import mutate
from tests.network import gid

REPORT_FIELDS = "id title summary body bodyText status version author publishedAt"
CREATE = f"""mutation($input: CreateReportInput!) {{ createReport(input: $input) {{
  report {{ {REPORT_FIELDS} site {{ name }} event {{ title }} campaign {{ name }} teams {{ name }} }}
  errors {{ field message code }} }} }}"""
UPDATE = f"""mutation($input: UpdateReportInput!) {{ updateReport(input: $input) {{
  report {{ {REPORT_FIELDS} teams {{ name }} }} errors {{ field message code }} }} }}"""
STEP = {a: f"""mutation($input: ReportStepInput!) {{ {a}Report(input: $input) {{
  report {{ {REPORT_FIELDS} }} errors {{ field message code }} }} }}""" for a in ("submit", "approve", "return", "unpublish")}
REPORTS = """query($within: ID, $site: ID, $event: ID, $campaign: ID, $status: [ReportStatus!], $first: Int, $after: String) {
  reports(within: $within, site: $site, event: $event, campaign: $campaign, status: $status, first: $first, after: $after) {
    edges { cursor node { id title status author } } pageInfo { hasNextPage endCursor } } }"""


async def other_admin(net) -> str:
    """ADMIN of the other county: an admin, but not of these reports' subtree."""
    return (await accounts.create_token("other admin", site=net.other_centre, role=Role.ADMIN))[1]


async def write(client, token: str, site, title: str = "学雷锋志愿服务活动报道", **fields) -> dict:
    body = {"siteId": gid("Site", site.id), "title": title, "body": "<p>志愿者走进社区。</p>", **fields}
    payload = await mutate(client, token, CREATE, input=body)
    assert payload["errors"] == [], payload
    return payload["report"]


async def step(client, token: str, action: str, report: dict) -> dict:
    return await mutate(client, token, STEP[action], input={"id": report["id"], "version": report["version"]})


async def publish(client, editor: str, admin: str, report: dict) -> dict:
    submitted = await step(client, editor, "submit", report)
    approved = await step(client, admin, "approve", submitted["report"])
    assert approved["errors"] == [], approved
    return approved["report"]

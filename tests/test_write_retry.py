"""A write PostgreSQL aborts to break a lock cycle runs again, whole, in one place
(api/domain/retry.py), and a client whose write kept failing that way gets TRY_AGAIN with
nothing written, never "Internal error". SQLite has one writer at a time: the same writes take turns there."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from tortoise import connections
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from api.domain import retry
from api.domain.errors import DomainError
from api.models.sites import Site
from tests.auth_support import make_callers, mutate
from tests.network import build, gid

WAIT = 1.0  # at most this long for the other writer to hold its first site (SQLite: it cannot)
CREATE = """mutation($input: CreateSiteInput!) { createSite(input: $input) {
  site { id } errors { field message code } } }"""


async def test_two_writes_locking_in_opposite_orders_both_land(db):
    """Each writer bumps two sites' versions in opposite orders, holding its first until the
    other holds its own: PostgreSQL kills one, which runs again after the other commits."""
    n = await build()
    first, second = n.station.id, n.station2.id
    holding = [asyncio.Event(), asyncio.Event()]
    runs = [0, 0]

    def writer(me: int):
        async def attempt() -> None:
            runs[me] += 1
            async with in_transaction():
                for step, site_id in enumerate((first, second) if me == 0 else (second, first)):
                    await Site.filter(id=site_id).update(version=F("version") + 1)
                    if step == 0:
                        holding[me].set()
                        try:
                            await asyncio.wait_for(holding[1 - me].wait(), WAIT)
                        except TimeoutError:
                            pass  # SQLite: the other waits for this transaction

        return retry.retrying(attempt)

    await asyncio.wait_for(asyncio.gather(writer(0), writer(1)), timeout=60)
    versions = await Site.filter(id__in=[first, second]).values_list("version", flat=True)
    assert list(versions) == [n.station.version + 2, n.station2.version + 2]
    assert sum(runs) == (3 if db.name == "postgres" else 2)  # PostgreSQL: one victim, run once more


@contextlib.asynccontextmanager
async def cycles_on(db, table: str = "site", nth: int | None = None):
    """A trigger that has PostgreSQL abort a write to ``table`` with deadlock_detected (40P01),
    as a lock cycle would: the ``nth`` row written only, or every one (SQLite cannot raise that error)."""
    if db.name != "postgres":
        pytest.skip("only PostgreSQL aborts a transaction for a lock cycle")
    when = f"nextval('test_cycle_rows') = {nth}" if nth else "true"
    conn = connections.get("default")
    await conn.execute_script(
        "CREATE SEQUENCE test_cycle_rows; "
        "CREATE FUNCTION test_cycle() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN IF {when} THEN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = 'deadlock_detected'; END IF; "
        "RETURN NEW; END $$; "
        f"CREATE TRIGGER test_cycle BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION test_cycle();")
    try:
        yield
    finally:
        await conn.execute_script(
            f"DROP TRIGGER test_cycle ON {table}; DROP FUNCTION test_cycle(); DROP SEQUENCE test_cycle_rows;")


def cycles_every_time(db):
    return cycles_on(db, "site")


async def test_a_write_that_keeps_meeting_a_cycle_is_try_again_with_nothing_written(db):
    await build()
    before = await Site.all().count()
    runs = 0

    async def attempt() -> None:
        nonlocal runs
        runs += 1
        async with in_transaction():
            await Site.filter(name="洛江区新时代文明实践中心").update(star_rating=5)
            await Site.create(kind="POINT", name="循环点", path="", depth=0)

    async with cycles_every_time(db):
        with pytest.raises(DomainError) as refused:
            await retry.retrying(attempt)
    assert refused.value.code == "TRY_AGAIN" and "nothing was written" in refused.value.message
    assert runs == retry.ATTEMPTS and await Site.all().count() == before


async def test_a_mutation_that_keeps_meeting_a_cycle_answers_try_again(client, db):
    net = await build()
    callers = await make_callers(net)
    before = await Site.all().count()
    async with cycles_every_time(db):
        payload = await mutate(client, callers.editor, CREATE, input={
            "kind": "STATION", "name": "新村新时代文明实践站", "parentId": gid("Site", net.institute.id)})
    assert payload["site"] is None
    assert [e["code"] for e in payload["errors"]] == ["TRY_AGAIN"]
    assert await Site.all().count() == before


async def test_other_faults_are_not_run_again(db):
    runs = 0

    async def attempt() -> None:
        nonlocal runs
        runs += 1
        async with in_transaction():
            raise LookupError("not a lock cycle")

    with pytest.raises(LookupError):
        await retry.retrying(attempt)
    assert runs == 1


def assert_whole_request_try_again(response) -> None:
    """Under an Idempotency-Key the request is one transaction: rolled back, it answers 409 with
    one top-level TRY_AGAIN and no data (no payload claims a write that was rolled back)."""
    assert response.status_code == 409, response.text
    body = response.json()
    assert "data" not in body and [e["extensions"]["code"] for e in body["errors"]] == ["TRY_AGAIN"]


async def test_under_an_idempotency_key_a_lock_cycle_keeps_nothing_and_the_same_key_runs_again(client, db):
    """The request's transaction is the Idempotency-Key's: a lock cycle inside it is TRY_AGAIN at
    once, and nothing is kept under the key, so a retry with that key writes the site once."""
    net = await build()
    callers = await make_callers(net)
    headers = {"Authorization": f"Bearer {callers.editor}", "Idempotency-Key": "0b7c6f1e-2d4a-4c1e-9d7e-2f4f0b8c1a33"}
    body = {"query": CREATE, "variables": {"input": {
        "kind": "STATION", "name": "幂等新站", "parentId": gid("Site", net.institute.id)}}}
    async with cycles_every_time(db):
        first = await client.post("/graphql", json=body, headers=headers)
    assert_whole_request_try_again(first)
    assert not await Site.filter(name="幂等新站").exists()
    again = await client.post("/graphql", json=body, headers=headers)
    assert "Idempotent-Replayed" not in again.headers and again.json()["data"]["createSite"]["errors"] == []
    assert await Site.filter(name="幂等新站").count() == 1


async def test_an_upload_that_keeps_meeting_a_cycle_is_409_try_again(client, db):
    """POST /sheets/import/KIND: the import ran 4 times, each rolled back; nothing written."""
    from tests.sheets_support import sheet_rows, xlsx

    net = await build()
    callers = await make_callers(net)
    before = await Site.all().count()
    rows = sheet_rows("sites", {"上级": "洛江区新时代文明实践中心/河市镇新时代文明实践所", "名称": "上传新站", "类型": "站"})
    files = {"file": ("s.xlsx", xlsx(rows))}
    async with cycles_every_time(db):
        response = await client.post("/sheets/import/sites", files=files,
                                     headers={"Authorization": f"Bearer {callers.editor}"})
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "TRY_AGAIN"
    assert await Site.all().count() == before


UPDATE_EVENT = """mutation($input: UpdateEventInput!) { updateEvent(input: $input) {
  event { id } errors { field message code } droppedExceptions { kind originalStart } } }"""


async def test_a_run_again_reports_what_the_run_that_committed_did(client, db):
    """updateEvent's dropped exceptions come from the run that committed, not from every run."""
    net = await build()
    callers = await make_callers(net)
    async with cycles_on(db, "occurrence", nth=1):  # the first run's first occurrence meets a "cycle"
        out = await mutate(client, callers.editor, UPDATE_EVENT, input={
            "id": gid("Event", net.weekly.id), "version": net.weekly.version,
            "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA;COUNT=2",
            "startsAt": "2026-03-07T14:30:00+08:00", "endsAt": "2026-03-07T16:00:00+08:00"})
    assert out["errors"] == []
    assert out["droppedExceptions"] == [
        {"kind": "EXCLUDED", "originalStart": "2026-03-14T09:30:00+08:00"},
        {"kind": "CHANGED", "originalStart": "2026-03-28T09:30:00+08:00"},
    ]


UPLOAD_IMAGE = """mutation($input: UploadImageInput!) { uploadImage(input: $input) {
  image { id } errors { field message code } } }"""


async def test_an_upload_run_again_stores_the_file_it_was_sent(client, db):
    from api.models.content import Image
    from tests.auth_support import upload
    from tests.images_support import phone_photo

    net = await build()
    callers = await make_callers(net)
    async with cycles_on(db, "image", nth=1):
        response = await upload(client, callers.editor, UPLOAD_IMAGE, {}, {"file": phone_photo(orientation=1, shade=0)})
    payload = response.json()["data"]["uploadImage"]
    assert payload["errors"] == [] and await Image.all().count() == 1


async def test_under_an_idempotency_key_a_cycle_at_commit_is_try_again_and_keeps_nothing(client, db):
    """The site counts are written when the key's transaction commits (api/db/at_commit.py): a
    cycle there is TRY_AGAIN like one inside the mutation, never a fault of the server."""
    net = await build()
    callers = await make_callers(net)
    headers = {"Authorization": f"Bearer {callers.editor}", "Idempotency-Key": "0b7c6f1e-2d4a-4c1e-9d7e-2f4f0b8c1a34"}
    body = {"query": CREATE, "variables": {"input": {
        "kind": "STATION", "name": "幂等新站", "parentId": gid("Site", net.institute.id)}}}
    async with cycles_on(db, "site_subtree_count"):
        refused = await client.post("/graphql", json=body, headers=headers)
    assert_whole_request_try_again(refused)
    assert not await Site.filter(name="幂等新站").exists()
    again = await client.post("/graphql", json=body, headers=headers)
    assert "Idempotent-Replayed" not in again.headers and again.json()["data"]["createSite"]["errors"] == []
    assert await Site.filter(name="幂等新站").count() == 1


TWO = """mutation($a: CreateSiteInput!, $b: CreateSiteInput!) {
  a: createSite(input: $a) { site { id } errors { code } }
  b: createSite(input: $b) { site { id } errors { code } } }"""


async def test_under_an_idempotency_key_one_try_again_is_the_whole_requests_answer(client, db):
    """When one mutation of the request meets a cycle, the other's site is rolled back too: the
    answer says so instead of naming a site that does not exist."""
    net = await build()
    callers = await make_callers(net)
    parent = gid("Site", net.institute.id)
    body = {"query": TWO, "variables": {"a": {"kind": "STATION", "name": "甲站", "parentId": parent},
                                        "b": {"kind": "STATION", "name": "乙站", "parentId": parent}}}
    async with cycles_on(db, "site", nth=2):  # the second site INSERT meets a "cycle"
        response = await client.post("/graphql", json=body, headers={
            "Authorization": f"Bearer {callers.editor}", "Idempotency-Key": "0b7c6f1e-2d4a-4c1e-9d7e-2f4f0b8c1a35"})
    assert_whole_request_try_again(response)
    assert not await Site.filter(name__in=["甲站", "乙站"]).exists()

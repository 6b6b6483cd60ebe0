"""Volunteering for tests: a future activity taking sign-ups on tests/network.py, volunteers
with tokens, and the GraphQL documents the tests send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from api.domain.accounts import authenticate
from api.domain.clock import local, now
from api.domain.events import create_event
from api.domain.writes import Write
from api.models.events import Event, EventKind, EventStatus
from api.models.people import Person
from api.volunteering import signups, volunteers
from tests.auth_support import Callers, make_callers
from tests.network import Network, build, gid


@dataclass
class Drive:
    net: Network
    callers: Callers
    event: Event  # a published activity at the station, tomorrow 09:00-11:00
    occurrence_id: str  # its occurrence's global id


def occurrence_gid(event: Event, starts_at: datetime | None = None) -> str:
    return gid("Occurrence", f"{event.id}@{int((starts_at or event.starts_at).timestamp())}")


async def drive_setup(*, capacity: int | None = 2, residents: bool = True, starts_in: timedelta = timedelta(days=1)) -> Drive:
    net = await build()
    callers = await make_callers(net)
    starts = local(now() + starts_in).replace(minute=0, second=0, microsecond=0)
    event = await create_event(kind=EventKind.ACTIVITY, title="洛阳村环境整治志愿服务", platform_id=net.culture.id,
                               site_id=net.station.id, starts_at=starts, ends_at=starts + timedelta(hours=2),
                               status=EventStatus.PUBLISHED, changes=[])
    if capacity is not None:
        admin = await authenticate(f"Bearer {callers.admin}")
        async with in_transaction():
            await signups.set_sheet(Write(admin), event, capacity=capacity, opens_at=None, closes_at=None,
                                    residents_allowed=residents, version=None)
    return Drive(net, callers, event, occurrence_gid(event))


async def make_volunteers(drive: Drive, n: int, *, prefix: str = "志愿者") -> list[tuple[Person, str]]:
    """n people at the station with volunteer profiles; each with their token."""
    admin = await authenticate(f"Bearer {drive.callers.admin}")
    made = []
    for i in range(n):
        person = await Person.create(name=f"{prefix}{i + 1}", phone=f"1350000{i:04d}", volunteer_number=f"V{i:05d}",
                                     home_site=drive.net.station)
        async with in_transaction():
            _, token = await volunteers.register(Write(admin), person, show_on_leaderboard=i % 2 == 0)
        made.append((person, token))
    return made


SIGNUP_FIELDS = "id status waitingPosition byVolunteer name residentPhone"
SIGN_UP = f"""mutation($input: SignUpInput!) {{ signUp(input: $input) {{ token signup {{ {SIGNUP_FIELDS} }}
  errors {{ field message code }} }} }}"""
CANCEL = f"""mutation($input: CancelSignupInput!) {{ cancelSignup(input: $input) {{ signup {{ {SIGNUP_FIELDS} }}
  errors {{ field message code }} }} }}"""
SETTINGS = """mutation($input: SetSignupSettingsInput!) { setSignupSettings(input: $input) {
  settings { capacity opensAt closesAt residentsAllowed version } errors { field message code } } }"""
REGISTER = """mutation($input: RegisterVolunteerInput!) { registerVolunteer(input: $input) {
  token volunteer { name volunteerNumber showOnLeaderboard } errors { field message code } } }"""
PLACES = """query($id: ID!) { node(id: $id) { ... on Occurrence { title signup {
  capacity confirmed placesLeft waiting open residentsAllowed } } } }"""

SCAN_FIELDS = "attendance { checkedInAt checkedInBy checkedOutAt checkedOutBy minutes } errors { field message code }"
CHECK_IN = f"mutation($input: ScanInput!) {{ checkIn(input: $input) {{ {SCAN_FIELDS} }} }}"
CHECK_OUT = f"mutation($input: ScanInput!) {{ checkOut(input: $input) {{ {SCAN_FIELDS} }} }}"
STAFF_IN = f"mutation($input: StaffCheckInput!) {{ staffCheckIn(input: $input) {{ {SCAN_FIELDS} }} }}"
STAFF_OUT = f"mutation($input: StaffCheckInput!) {{ staffCheckOut(input: $input) {{ {SCAN_FIELDS} }} }}"
CODE = "query($o: ID!) { checkinCode(occurrence: $o) { code validUntil } }"
CORRECT = """mutation($input: CorrectHoursInput!) { correctHours(input: $input) {
  entry { id minutes kind reason correctsId } errors { field message code } } }"""
MY_HOURS = """query($t: String!) { volunteerByToken(token: $t) { hours { totalMinutes totalHours
  entries { id minutes kind reason recordedBy } } } }"""

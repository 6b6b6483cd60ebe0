"""Volunteering (志愿服务) in GraphQL: volunteer tokens, sign-up (报名) with a waiting list,
check-in codes, check-in and out, the service-hours ledger, points (积分) and rewards (礼遇)."""

from schema.volunteers.mutations import AttendanceMutation, VolunteerMutation
from schema.volunteers.points import PointsMutation, PointsQuery
from schema.volunteers.queries import HoursQuery, VolunteerQuery
from schema.volunteers.types import HoursEntry, Signup

__all__ = ["AttendanceMutation", "HoursEntry", "HoursQuery", "PointsMutation", "PointsQuery", "Signup", "VolunteerMutation",
           "VolunteerQuery"]

"""Volunteering (志愿服务) in GraphQL: volunteer tokens, sign-up (报名) with a waiting list."""

from schema.volunteers.mutations import VolunteerMutation
from schema.volunteers.queries import VolunteerQuery
from schema.volunteers.types import Signup

__all__ = ["Signup", "VolunteerMutation", "VolunteerQuery"]

"""A deterministic demo network for `wenming serve --demo`: one fictional city (温陵市) of four
district centres per ``scale``, with institutes, stations, points, bases, venues, teams,
lecturers, volunteers, campaigns and a year of lectures and activities, all in Chinese.

Modules: ``platforms`` (the seven default platforms, as data), ``names`` (word pools),
``network`` (sites and venues), ``teams`` (teams, lecturers, volunteers), ``campaigns``
(festivals, monthly themes, activity days), ``catalogue`` and ``programme`` (events),
``loader`` (``load_demo``).
"""

from api.demo.loader import load_demo
from api.demo.platforms import DEFAULT_PLATFORMS

__all__ = ["DEFAULT_PLATFORMS", "load_demo"]

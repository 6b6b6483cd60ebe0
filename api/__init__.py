"""Wenming (文明): content and scheduling back end for the New Era Civilization Practice Centres."""

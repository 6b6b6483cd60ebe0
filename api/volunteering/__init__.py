"""Volunteering (志愿服务): volunteer tokens, sign-up (报名) with a waiting list; no HTTP here.

The GraphQL face (schema/volunteers/) calls these rules inside `perform`'s transaction."""

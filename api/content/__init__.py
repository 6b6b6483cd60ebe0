"""Reports with pictures (活动报道): the body's HTML, the review workflow, images and their storage.
No HTTP and no GraphQL here (schema/reports/ and api/content/routes.py are the faces)."""

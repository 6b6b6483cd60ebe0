# Thin aliases for the two README commands.
.PHONY: serve test

serve:
	python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/wenming serve --demo

test:
	python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/pytest -q

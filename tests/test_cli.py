"""The `wenming` command refuses what cannot work in one sentence and a non-zero exit, before
it starts anything: no traceback, no hang, no port silently wrapped. Run as a user runs it: a
subprocess, in a folder of its own, with a timeout (a hang fails the test instead of the run)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from api.cli import serve_warnings
from api.settings import Settings
from tests.conftest import POSTGRES_URL

WENMING = str(Path(sys.executable).with_name("wenming"))
TIMEOUT = 60  # seconds; every refusal here comes within a few


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WENMING_")}
    environment.update(env, COLUMNS="200")
    return subprocess.run([WENMING, *args], cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=TIMEOUT)


def one_sentence(result: subprocess.CompletedProcess, *words: str) -> str:
    """The refusal: a non-zero exit, nothing started, one line that says what is wrong."""
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr and "Migrating" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines
    assert all(w in lines[0] for w in words), (words, lines[0])
    return lines[0]


MISTAKES = {
    "nonsense-url": ({"WENMING_DATABASE_URL": "nonsense"}, ["WENMING_DATABASE_URL", "sqlite://", "postgres://", "'nonsense'"]),
    "mysql": ({"WENMING_DATABASE_URL": "mysql://root@127.0.0.1:3306/wenming"}, ["WENMING_DATABASE_URL", "mysql", "not support"]),
    "missing-folder": ({"WENMING_DATABASE_URL": "sqlite:///nonexistent-folder/wenming.sqlite3"}, ["/nonexistent-folder", "does not exist"]),
    "unreachable-port": ({"WENMING_DATABASE_URL": "postgres://postgres@127.0.0.1:1/wenming"}, ["127.0.0.1:1", "connection refused"]),
    "origins-not-json": ({"WENMING_ALLOWED_ORIGINS": "https://x"}, ["WENMING_ALLOWED_ORIGINS", "JSON list", '["https://x"]']),
    "origin-with-path": ({"WENMING_ALLOWED_ORIGINS": '["https://x/"]'}, ["WENMING_ALLOWED_ORIGINS", "trailing slash"]),
    "short-horizon": ({"WENMING_OCCURRENCE_HORIZON_DAYS": "30"}, ["WENMING_OCCURRENCE_HORIZON_DAYS", "at least 400", "30"]),
}
CASES = [(command, mistake) for command in ("migrate", "serve") for mistake in MISTAKES]


@pytest.fixture(scope="module")
def refusals(tmp_path_factory) -> dict[tuple[str, str], subprocess.CompletedProcess]:
    """Every (command, mistake), run side by side: each is a process that mostly waits to start."""
    def one(case):
        command, mistake = case
        return run([command], tmp_path_factory.mktemp(mistake), **MISTAKES[mistake][0])

    with ThreadPoolExecutor(4) as pool:
        return dict(zip(CASES, pool.map(one, CASES)))


@pytest.mark.parametrize(("command", "mistake"), CASES, ids=[f"{c}-{m}" for c, m in CASES])
def test_a_configuration_mistake_is_one_sentence(refusals, command, mistake):
    one_sentence(refusals[command, mistake], *MISTAKES[mistake][1])


def test_a_database_that_does_not_exist_is_named(tmp_path):
    if not POSTGRES_URL:
        pytest.skip("needs WENMING_TEST_POSTGRES_URL")
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/wenming_no_such_database"
    one_sentence(run(["serve"], tmp_path, WENMING_DATABASE_URL=url), "has no database 'wenming_no_such_database'", "createdb")


def test_a_read_only_folder_is_named(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes into any folder; /sys takes no new files, even from root
        folder = Path("/sys")
    result = run(["migrate"], tmp_path, WENMING_DATABASE_URL=f"sqlite://{folder}/wenming.sqlite3")
    one_sentence(result, str(folder), "cannot be written")


@pytest.mark.parametrize(("port", "words"), [("83636", ["--port", "65535"]), ("-1", ["--port", "greater than or equal to 1"])])
def test_a_port_out_of_range_is_refused_not_wrapped(tmp_path, port, words):
    result = run(["serve", "--port", port], tmp_path)
    assert result.returncode == 2 and "Migrating" not in result.stderr, result
    assert all(w in result.stderr for w in words), result.stderr
    assert not (tmp_path / "wenming.sqlite3").exists()  # nothing started


def test_a_port_in_use_is_named_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        one_sentence(run(["serve", "--port", str(port)], tmp_path), f"port {port}", "in use")
    assert not (tmp_path / "wenming.sqlite3").exists()


def test_help_names_the_settings_and_the_env_file(tmp_path):
    serve = run(["serve", "--help"], tmp_path).stdout
    for name in ("WENMING_DATABASE_URL", "WENMING_PUBLIC_URL", "WENMING_REDIS_URL", "WENMING_ALLOWED_ORIGINS",
                 "WENMING_OCCURRENCE_HORIZON_DAYS", "WENMING_GRAPHIQL", ".env"):
        assert name in serve, name
    assert "WENMING_DATABASE_URL" in run(["migrate", "--help"], tmp_path).stdout
    assert "WENMING_DATABASE_URL" in run(["token", "create", "--help"], tmp_path).stdout


def test_a_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("WENMING_ALLOWED_ORIGINS=https://from-the-env-file\n", encoding="utf-8")
    one_sentence(run(["migrate"], tmp_path), "WENMING_ALLOWED_ORIGINS", "https://from-the-env-file")


def test_several_workers_without_redis_are_warned_about():
    settings = Settings(database_url="postgres://u@db/wenming")
    [warning] = serve_warnings(settings, workers=4)
    assert "WENMING_REDIS_URL" in warning and "4 workers" in warning
    assert serve_warnings(settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"}), workers=4) == []
    assert serve_warnings(settings, workers=1) == []
    assert any("SQLite" in w for w in serve_warnings(Settings(), workers=2))

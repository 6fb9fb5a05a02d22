"""How manage.py finds the embedded PostgreSQL, and how the settings read the environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import devdb, env
from config.devdb import embedded_url_when_stopped, running_url


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Overrides the conftest fixture: no database in these tests, so no cache to clear."""


def write_pidfile(
    pgdata: Path,
    *,
    pid: int,
    port: int = 54321,
    socket_dir: str = "/tmp/coveris sockets",
    status: str = "ready",
) -> None:
    """A postmaster.pid laid out as PostgreSQL writes it (status on line 8)."""
    pgdata.mkdir(parents=True, exist_ok=True)
    lines = [
        str(pid),
        str(pgdata),
        "1700000000",
        str(port),
        socket_dir,
        "*",
        "  5432001         0",
        f"{status:<8}",
    ]
    (pgdata / "postmaster.pid").write_text("\n".join(lines) + "\n")


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_running_server_is_found_through_its_pidfile(tmp_path):
    write_pidfile(tmp_path, pid=os.getpid(), port=54321, socket_dir="/tmp/coveris sockets")
    # The socket directory is the host, percent-encoded (libpq reads a path there as a socket).
    assert running_url(tmp_path) == "postgres://postgres@%2Ftmp%2Fcoveris%20sockets:54321/postgres"


def test_running_url_can_be_parsed_back_into_a_socket_connection(tmp_path):
    import dj_database_url

    write_pidfile(tmp_path, pid=os.getpid(), port=5499, socket_dir="/run/pg")
    url = running_url(tmp_path)
    assert url is not None
    parsed = dj_database_url.parse(url)
    assert parsed["HOST"] == "/run/pg"
    assert parsed["PORT"] == 5499
    assert parsed["USER"] == "postgres"
    assert parsed["NAME"] == "postgres"


def test_no_pidfile_means_no_server(tmp_path):
    assert running_url(tmp_path) is None
    assert running_url(tmp_path / "missing") is None


def test_pidfile_of_a_dead_process_is_ignored(tmp_path):
    write_pidfile(tmp_path, pid=dead_pid())
    assert running_url(tmp_path) is None


@pytest.mark.parametrize("status", ["starting", "stopping", "standby", ""])
def test_server_that_is_not_ready_is_ignored(tmp_path, status):
    write_pidfile(tmp_path, pid=os.getpid(), status=status)
    assert running_url(tmp_path) is None


def test_truncated_or_garbled_pidfile_is_ignored(tmp_path):
    tmp_path.joinpath("postmaster.pid").write_text(f"{os.getpid()}\n{tmp_path}\n")
    assert running_url(tmp_path) is None
    write_pidfile(tmp_path, pid=os.getpid())
    text = tmp_path.joinpath("postmaster.pid").read_text()
    tmp_path.joinpath("postmaster.pid").write_text("not-a-pid" + text[text.index("\n") :])
    assert running_url(tmp_path) is None


def test_url_when_stopped_points_at_the_data_directory_socket(tmp_path):
    url = embedded_url_when_stopped(tmp_path)
    assert url.startswith("postgres://postgres@%2F")
    assert url.endswith(":5432/postgres")


# --- config.env: the one reader of the environment ---------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        ("", False),
    ],
)
def test_get_bool_parses_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("COVERIS_TEST_FLAG", raw)
    assert env.get_bool("COVERIS_TEST_FLAG", default=not expected) is expected


@pytest.mark.parametrize("default", [True, False])
def test_get_bool_unset_gives_the_default(monkeypatch, default):
    monkeypatch.delenv("COVERIS_TEST_FLAG", raising=False)
    assert env.get_bool("COVERIS_TEST_FLAG", default=default) is default


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "y e s"])
def test_get_bool_rejects_anything_else_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("COVERIS_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match=r"COVERIS_TEST_FLAG must be a boolean"):
        env.get_bool("COVERIS_TEST_FLAG")


@pytest.mark.parametrize(("raw", "expected"), [("42", 42), (" 7 ", 7), ("-3", -3), ("0", 0)])
def test_get_int_parses_integers(monkeypatch, raw, expected):
    monkeypatch.setenv("COVERIS_TEST_INT", raw)
    assert env.get_int("COVERIS_TEST_INT", 5) == expected


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_get_int_unset_or_blank_gives_the_default(monkeypatch, raw):
    if raw is None:
        monkeypatch.delenv("COVERIS_TEST_INT", raising=False)
    else:
        monkeypatch.setenv("COVERIS_TEST_INT", raw)
    assert env.get_int("COVERIS_TEST_INT", 25) == 25


@pytest.mark.parametrize("raw", ["ten", "1.5", "0x10", "25 pages"])
def test_get_int_rejects_non_integers_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("COVERIS_TEST_INT", raw)
    with pytest.raises(ImproperlyConfigured) as excinfo:
        env.get_int("COVERIS_TEST_INT", 25)
    assert str(excinfo.value) == f"COVERIS_TEST_INT must be an integer, not {raw!r}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a.example.com", ["a.example.com"]),
        ("a.example.com,b.example.com", ["a.example.com", "b.example.com"]),
        (" a , b ,, c ,", ["a", "b", "c"]),
        ("", []),
        (" , ", []),
    ],
)
def test_get_list_splits_on_commas_and_drops_blanks(monkeypatch, raw, expected):
    monkeypatch.setenv("COVERIS_TEST_LIST", raw)
    assert env.get_list("COVERIS_TEST_LIST", ["default"]) == expected


def test_get_list_unset_gives_a_copy_of_the_default(monkeypatch):
    monkeypatch.delenv("COVERIS_TEST_LIST", raising=False)
    default = ["x"]
    value = env.get_list("COVERIS_TEST_LIST", default)
    assert value == ["x"]
    value.append("y")
    assert default == ["x"]
    assert env.get_list("COVERIS_TEST_LIST") == []


def test_get_str_unset_is_the_default(monkeypatch):
    monkeypatch.delenv("COVERIS_TEST_STR", raising=False)
    assert env.get_str("COVERIS_TEST_STR") == ""
    assert env.get_str("COVERIS_TEST_STR", "fallback") == "fallback"
    monkeypatch.setenv("COVERIS_TEST_STR", "set")
    assert env.get_str("COVERIS_TEST_STR", "fallback") == "set"


def test_dotenv_fills_only_variables_not_already_set(monkeypatch, tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("COVERIS_TEST_A=from-file\nCOVERIS_TEST_B=from-file\n")
    monkeypatch.setenv("COVERIS_TEST_A", "from-process")
    monkeypatch.delenv("COVERIS_TEST_B", raising=False)
    try:
        env.load(dotenv)
        assert env.get_str("COVERIS_TEST_A") == "from-process"
        assert env.get_str("COVERIS_TEST_B") == "from-file"
    finally:
        os.environ.pop("COVERIS_TEST_B", None)


# --- config.devdb: the commands behind make run / make test / make db-* ------------------------


def test_usage_and_unknown_commands_exit_2(capsys):
    assert devdb.main([]) == 2
    assert devdb.main(["explode"]) == 2
    assert "python -m config.devdb" in capsys.readouterr().out


def test_child_gets_the_database_url_and_its_exit_code_is_kept(monkeypatch):
    monkeypatch.setattr(devdb.signal, "signal", lambda *args: None)  # leave pytest's handlers
    check = "import os, sys; sys.exit(0 if os.environ.get('DATABASE_URL') == 'postgres://x' else 7)"
    assert devdb._run_child([sys.executable, "-c", check], url="postgres://x") == 0
    assert devdb._run_child([sys.executable, "-c", "raise SystemExit(4)"], url="") == 4


def test_stopping_a_server_that_does_not_run_is_a_no_op(tmp_path):
    devdb._stop(tmp_path)
    assert running_url(tmp_path) is None


@pytest.mark.slow
def test_make_run_database_keeps_its_data_and_stops_afterwards():
    """`make run` twice: the second run sees the first run's rows; no server is left behind."""
    # Not tmp_path: as root the server runs as another user, who cannot enter pytest's 0700 tree.
    root = Path(tempfile.mkdtemp(prefix="coveris-devdb-test-"))
    pgdata = root / "postgres"
    app = (
        "import sys, psycopg, pathlib\n"
        "from config.devdb import running_url\n"
        f"url = running_url(pathlib.Path({str(pgdata)!r}))\n"
        "with psycopg.connect(url, autocommit=True) as conn:\n"
        "    conn.execute('CREATE TABLE IF NOT EXISTS visits (id serial PRIMARY KEY)')\n"
        "    conn.execute('INSERT INTO visits DEFAULT VALUES')\n"
        "    sys.exit(conn.execute('SELECT count(*) FROM visits').fetchone()[0])\n"
    )
    # Each `make run` is a new process running `python -m config.devdb run -- ...`.
    make_run = (
        "import pathlib, sys\n"
        "from config import devdb\n"
        f"devdb.DATA_DIR = pathlib.Path({str(pgdata)!r})\n"
        f"sys.exit(devdb.run([sys.executable, '-c', {app!r}]))\n"
    )
    base_dir = Path(devdb.__file__).resolve().parent.parent
    try:
        for expected_rows in (1, 2):
            result = subprocess.run(
                [sys.executable, "-c", make_run],
                cwd=base_dir,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            assert result.returncode == expected_rows, result.stdout + result.stderr
            assert running_url(pgdata) is None, "the server outlived `make run`"
            assert "devdb: stopping embedded PostgreSQL" in result.stdout
    finally:
        devdb._stop(pgdata)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_make_test_database_is_throwaway():
    """`python -m config.devdb test -- CMD`: CMD gets a working DATABASE_URL; nothing is left."""
    app = (
        "import os, sys, psycopg\n"
        "url = os.environ['DATABASE_URL']\n"
        "with psycopg.connect(url) as conn:\n"
        "    print('DATADIR', conn.execute('SHOW data_directory').fetchone()[0])\n"
        "sys.exit(3)\n"
    )
    base_dir = Path(devdb.__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "config.devdb", "test", "--", sys.executable, "-c", app],
        cwd=base_dir,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 3, result.stdout + result.stderr  # the command's exit code
    data_dir = Path(
        next(line for line in result.stdout.splitlines() if "DATADIR" in line).split()[1]
    )
    assert data_dir.name == "data"
    assert data_dir.parent.name.startswith("coveris-pg-")
    assert not data_dir.parent.exists(), "the throwaway database was not deleted"

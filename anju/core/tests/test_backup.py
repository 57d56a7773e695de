"""Backup, restore and verification (SEC-5, issue 7 item 15).

The round trips run the real commands in subprocesses against a temporary SQLite file (the
test database is in memory) or temporary PostgreSQL databases, as an operator would.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command

from anju.core.backup import (
    BackupError,
    _row_bytes,
    list_backups,
    prune_backups,
    sqlite_table_digests,
    verify_archive,
)
from anju.core.scheduling import PERIODIC_JOBS
from anju.core.testing import requires_postgres

MEDIA_BYTES = b"name,phone\n" + "客户".encode() + b",13800000000\n"

SEED = f"""
from django.core.management import call_command
call_command("migrate", "--no-input", verbosity=0)
from django.core.files.base import ContentFile
from anju.core.jobs import job_start
from anju.org.models import Holding
Holding.objects.create(name="安居集团")
job = job_start(by=None, kind="test", title="导入 客户", params={{"a": [1, 2.5, None]}},
                input_file=ContentFile({MEDIA_BYTES!r}, name="leads.csv"))
"""


def media_rel(manifest: dict) -> str:
    """Where the uploaded file lives under MEDIA_ROOT (upload_to holds the month)."""
    (rel,) = manifest["media"]["files"]
    assert rel.endswith("leads.csv")
    return rel


def manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and proc.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def site_env(var_dir: Path, database_url: str | None = None) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ANJU_VAR_DIR", "ANJU_MEDIA_ROOT") and not k.startswith("ANJU_BACKUP_")
    }
    env["ANJU_DEBUG"] = "1"  # a development site: no production secret key needed
    env["ANJU_VAR_DIR"] = str(var_dir)
    env["DATABASE_URL"] = database_url or f"sqlite:///{var_dir / 'anju.sqlite3'}"
    return env


def only_archive(directory: Path) -> Path:
    archives = list_backups(directory)
    assert len(archives) == 1, archives
    return archives[0]


def read_manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return json.load(tar.extractfile("manifest.json"))


def rewrite_archive(archive: Path, target: Path, change) -> Path:
    """Copy ``archive`` to ``target`` with ``change(name, data, manifest) -> data`` applied."""
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}
    manifest = json.loads(members.pop("manifest.json"))
    members = {name: change(name, data, manifest) for name, data in members.items()}
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


# --- the digest ---------------------------------------------------------------------------


def test_row_encoding_tells_types_and_boundaries_apart():
    """SEC-5: a checksum that confused 1 with "1" or ("ab","c") with ("a","bc") proves nothing."""
    assert _row_bytes((1,)) != _row_bytes(("1",))
    assert _row_bytes((1,)) != _row_bytes((1.0,))
    assert _row_bytes((None,)) != _row_bytes(("",))
    assert _row_bytes(("ab", "c")) != _row_bytes(("a", "bc"))
    assert _row_bytes((b"\x01",)) != _row_bytes(("\x01",))


def test_table_digest_follows_primary_key_order_and_every_value():
    """SEC-5: same rows → same digest whatever the insertion order; one changed value → not."""

    def digest(rows):
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, amount REAL)")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
        return sqlite_table_digests(conn)["t"]

    rows = [(1, "甲", 1.5), (2, "乙", None), (3, "丙", 0.0)]
    base = digest(rows)
    assert base["rows"] == 3
    assert digest(list(reversed(rows))) == base
    assert digest([(1, "甲", 1.5), (2, "乙", None), (3, "丙", 0.01)])["sha256"] != base["sha256"]
    assert digest(rows[:2])["rows"] == 2


# --- retention ----------------------------------------------------------------------------


def test_prune_keeps_the_newest_archives_and_nothing_else(tmp_path):
    """SEC-5 retention: the newest N archives stay (by the time in the name), other files too."""
    names = [
        "anju-backup-20261120-023000+0800.tar.gz",
        "anju-backup-20261121-023000+0800.tar.gz",
        "anju-backup-20261122-023000+0800.tar.gz",
        "anju-backup-20261122-023000+0800.2.tar.gz",  # a second one in the same second
        "anju-backup-20261123-023000+0800.tar.gz",
    ]
    for name in reversed(names):  # creation order must not matter
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / "anju-backup-20261101-023000+0800.tar.gz.partial").write_bytes(b"x")

    assert [p.name for p in list_backups(tmp_path)] == names
    deleted = prune_backups(tmp_path, keep=2)

    assert [p.name for p in deleted] == names[:3]
    assert [p.name for p in list_backups(tmp_path)] == names[3:]
    assert (tmp_path / "notes.txt").exists()
    assert (tmp_path / "anju-backup-20261101-023000+0800.tar.gz.partial").exists()
    with pytest.raises(BackupError):
        prune_backups(tmp_path, keep=0)


def test_periodic_backup_is_off_without_a_backup_dir():
    """SEC-5: the periodic backup only runs where an operator chose a directory."""
    if os.environ.get("ANJU_BACKUP_DIR"):
        pytest.skip("ANJU_BACKUP_DIR is set in this environment")
    assert not any(j.name.endswith("backup_database_and_media") for j in PERIODIC_JOBS)


def test_unreadable_or_foreign_archives_get_a_clear_message(tmp_path):
    """SEC-5: verify_backup explains what is wrong instead of a traceback."""
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not an archive")
    with pytest.raises(BackupError, match="Cannot read the archive"):
        verify_archive(garbage)

    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        info = tarfile.TarInfo("notes.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(BackupError, match="no manifest.json: not an Anju backup"):
        verify_archive(foreign)

    with pytest.raises(BackupError, match="No such archive"):
        verify_archive(tmp_path / "missing.tar.gz")


# --- SQLite round trip (subprocesses on a temporary file database) -------------------------


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite site with a little data and one uploaded file (made once)."""
    var_dir = tmp_path_factory.mktemp("site")
    manage(site_env(var_dir), "shell", "-c", SEED)
    return var_dir


@pytest.fixture
def site(sqlite_template, tmp_path):
    var_dir = tmp_path / "site"
    shutil.copytree(sqlite_template, var_dir)
    return var_dir


@pytest.fixture(scope="module")
def sqlite_archive(sqlite_template, tmp_path_factory):
    out = tmp_path_factory.mktemp("backups")
    manage(site_env(sqlite_template), "backup", "--output", str(out))
    return only_archive(out)


@pytest.mark.once  # its own SQLite site
def test_sqlite_backup_wipe_restore_verify(site, tmp_path):
    """SEC-5: backup → delete database and media → restore → every table and file verified.

    A writer keeps inserting while the backup runs: the manifest must still match the dump,
    because both come from the same online-backup copy.
    """
    env = site_env(site)
    db = site / "anju.sqlite3"
    stop = threading.Event()

    def keep_writing():
        conn = sqlite3.connect(db, timeout=20)
        while not stop.is_set():
            conn.execute("INSERT INTO org_holding (name) VALUES ('写入中')")
            conn.commit()
            stop.wait(0.005)
        conn.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        out = manage(env, "backup", "--output", str(tmp_path / "out"))
    finally:
        stop.set()
        writer.join()
    assert "Backup written" in out.stdout
    archive = only_archive(tmp_path / "out")
    manifest = read_manifest(archive)
    assert manifest["database"]["vendor"] == "sqlite"
    assert manifest["created_at"].endswith("+08:00")
    assert manifest["tables"]["core_job"]["rows"] == 1
    rel = media_rel(manifest)
    assert manifest["media"]["files"][rel]["sha256"] == hashlib.sha256(MEDIA_BYTES).hexdigest()
    holdings = manifest["tables"]["org_holding"]["rows"]
    assert holdings >= 1

    for path in site.glob("anju.sqlite3*"):
        path.unlink()
    shutil.rmtree(site / "media")

    out = manage(env, "restore", str(archive))
    assert "Verified" in out.stdout
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM org_holding").fetchone()[0] == holdings
    assert conn.execute("SELECT name FROM org_holding ORDER BY id").fetchone()[0] == "安居集团"
    assert conn.execute("SELECT title FROM core_job").fetchone()[0] == "导入 客户"
    conn.close()
    assert (site / "media" / rel).read_bytes() == MEDIA_BYTES
    out = io.StringIO()
    call_command("verify_backup", str(archive), stdout=out)
    assert "is intact" in out.getvalue()


@pytest.mark.once  # its own SQLite site
def test_restore_into_a_non_empty_database_is_refused_unless_forced(site, sqlite_archive):
    """SEC-5: restore never overwrites a database that holds tables; --force sets it aside."""
    db = site / "anju.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE org_holding SET name = '旧数据'")
    conn.commit()
    conn.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()

    proc = manage(site_env(site), "restore", str(sqlite_archive), check=False)

    assert proc.returncode != 0
    assert "Restore needs an empty target" in proc.stderr
    assert f"the database {db} has" in proc.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before

    out = manage(site_env(site), "restore", "--force", str(sqlite_archive))

    assert "Verified" in out.stdout
    (old_db,) = site.glob("anju.sqlite3.pre-restore-*")
    old = sqlite3.connect(old_db)
    assert old.execute("SELECT name FROM org_holding").fetchone()[0] == "旧数据"
    old.close()
    assert list(site.glob("media.pre-restore-*"))
    restored = sqlite3.connect(db)
    assert restored.execute("SELECT name FROM org_holding").fetchone()[0] == "安居集团"
    restored.close()


@pytest.mark.once  # its own SQLite site
def test_a_changed_media_byte_is_named_and_nothing_is_restored(sqlite_archive, tmp_path):
    """SEC-5: one flipped byte in an uploaded file fails verify_backup and restore."""

    def flip(name, data, manifest):
        return data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("media/") else data

    bad = rewrite_archive(sqlite_archive, tmp_path / "anju-backup-bad.tar.gz", flip)
    rel = media_rel(read_manifest(sqlite_archive))

    with pytest.raises(BackupError) as exc:
        verify_archive(bad)
    assert exc.value.problems == [f"file media/{rel}: sha256 differs from the manifest"]

    empty = tmp_path / "empty"
    proc = manage(site_env(empty), "restore", str(bad), check=False)
    assert proc.returncode != 0
    assert f"media/{rel}: sha256 differs" in proc.stderr
    assert "nothing was restored" in proc.stderr
    assert not (empty / "media" / rel).exists()
    assert not (empty / "anju.sqlite3").exists()


def change_rows(sql: str, workdir: Path):
    """A dump whose rows were changed after the manifest was written (hash made to match)."""

    def change(name, data, manifest):
        if not name.startswith("database/"):
            return data
        path = workdir / "db.sqlite3"
        path.write_bytes(data)
        conn = sqlite3.connect(path)
        conn.execute(sql)
        conn.commit()
        conn.close()
        data = path.read_bytes()
        manifest["database"]["dump"].update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
        return data

    return change


@pytest.mark.once  # its own SQLite site
def test_a_changed_row_in_the_dump_is_named_by_verify_and_restore(sqlite_archive, tmp_path):
    """SEC-5: the per-table checksums catch a row that differs from what was backed up."""

    change = change_rows("UPDATE core_job SET title = '篡改'", tmp_path)
    bad = rewrite_archive(sqlite_archive, tmp_path / "anju-backup-row.tar.gz", change)

    with pytest.raises(BackupError) as exc:
        verify_archive(bad)
    assert exc.value.problems == ["table core_job: row contents differ from the backup (checksum)"]

    empty = tmp_path / "empty"
    proc = manage(site_env(empty), "restore", str(bad), check=False)
    assert proc.returncode != 0
    assert "does not match the backup's manifest" in proc.stderr
    assert "table core_job: row contents differ from the backup (checksum)" in proc.stderr


@pytest.mark.once  # its own SQLite site
def test_a_missing_row_is_named_with_both_counts(sqlite_archive, tmp_path):
    """SEC-5: a deleted row shows up as a row-count difference for its table."""

    change = change_rows("DELETE FROM core_job", tmp_path)
    bad = rewrite_archive(sqlite_archive, tmp_path / "anju-backup-del.tar.gz", change)
    with pytest.raises(BackupError) as exc:
        verify_archive(bad)
    assert exc.value.problems == ["table core_job: 0 rows, the backup had 1"]


@pytest.mark.once  # its own SQLite site
def test_periodic_backup_task_writes_and_prunes(site, tmp_path):
    """SEC-5: the scheduled task backs up into ANJU_BACKUP_DIR and keeps ANJU_BACKUP_KEEP."""
    backups = tmp_path / "backups"
    backups.mkdir()
    old = [
        backups / "anju-backup-20250101-023000+0800.tar.gz",
        backups / "anju-backup-20250102-023000+0800.tar.gz",
    ]
    for path in old:
        path.write_bytes(b"old")
    env = site_env(site)
    env.update(ANJU_BACKUP_DIR=str(backups), ANJU_BACKUP_KEEP="2", ANJU_BACKUP_CRON="15 1 * * *")

    script = (
        "from anju.core.scheduling import discover_periodic_jobs\n"
        "from anju.core.tasks import backup_database_and_media as t\n"
        "print([j.cron for j in discover_periodic_jobs() if j.task is t])\n"
        "print(t.call())\n"
    )
    out = manage(env, "shell", "-c", script).stdout.strip().splitlines()

    assert out[-2] == "['15 1 * * *']"
    written = Path(out[-1])
    assert [p.name for p in list_backups(backups)] == [old[1].name, written.name]
    assert verify_archive(written).manifest["tables"]["core_job"]["rows"] == 1


# --- PostgreSQL round trip ----------------------------------------------------------------


def _pg_admin_url(dbname: str) -> str:
    url = urlsplit(os.environ["DATABASE_URL"])
    return url._replace(path=f"/{dbname}").geturl()


def _pg_recreate(*names: str) -> None:
    import psycopg

    with psycopg.connect(_pg_admin_url("postgres"), autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')


def _pg_drop(*names: str) -> None:
    import psycopg

    with psycopg.connect(_pg_admin_url("postgres"), autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@requires_postgres
def test_postgres_backup_wipe_restore_verify(tmp_path):
    """SEC-5: pg_dump → empty database → pg_restore → every table verified, on PostgreSQL.

    Rows keep arriving during the backup: the digests and pg_dump share one snapshot, so the
    restored database still matches the manifest exactly. Tampering and a non-empty target
    are refused with the difference named.
    """
    import psycopg

    src, dst = "anju_backup_src", "anju_backup_dst"
    _pg_recreate(src, dst)
    try:
        src_env = site_env(tmp_path / "src", _pg_admin_url(src))
        dst_env = site_env(tmp_path / "dst", _pg_admin_url(dst))
        manage(src_env, "shell", "-c", SEED)

        stop = threading.Event()

        def keep_writing():
            with psycopg.connect(_pg_admin_url(src), autocommit=True) as conn:
                while not stop.is_set():
                    conn.execute("INSERT INTO org_holding (name) VALUES ('写入中')")
                    stop.wait(0.005)

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            manage(src_env, "backup", "--output", str(tmp_path / "out"))
        finally:
            stop.set()
            writer.join()
        archive = only_archive(tmp_path / "out")
        manifest = read_manifest(archive)
        assert manifest["database"]["vendor"] == "postgresql"
        assert manifest["database"]["dump"]["path"] == "database/anju.pgdump"
        holdings = manifest["tables"]["org_holding"]["rows"]
        call_command("verify_backup", str(archive), stdout=io.StringIO())

        # A manifest that disagrees with the dump: restore runs, then names the table.
        def lie(name, data, manifest):
            if not name.startswith("database/"):
                return data
            manifest["tables"]["org_holding"]["rows"] += 1
            manifest["tables"]["core_job"]["sha256"] = "0" * 64
            return data

        bad = rewrite_archive(archive, tmp_path / "anju-backup-bad.tar.gz", lie)
        proc = manage(dst_env, "restore", str(bad), check=False)
        assert proc.returncode != 0
        assert f"table org_holding: {holdings} rows, the backup had {holdings + 1}" in proc.stderr
        assert "table core_job: row contents differ from the backup (checksum)" in proc.stderr

        # The target now holds tables: refused, then --force replaces them.
        shutil.rmtree(tmp_path / "dst" / "media", ignore_errors=True)
        proc = manage(dst_env, "restore", str(archive), check=False)
        assert proc.returncode != 0
        assert f"the database {dst} has" in proc.stderr

        _pg_recreate(dst)
        out = manage(dst_env, "restore", str(archive))
        assert "Verified" in out.stdout
        with psycopg.connect(_pg_admin_url(dst)) as conn:
            assert conn.execute("SELECT count(*) FROM org_holding").fetchone()[0] == holdings
            assert conn.execute("SELECT title FROM core_job").fetchone()[0] == "导入 客户"
        assert (tmp_path / "dst" / "media" / media_rel(manifest)).read_bytes() == MEDIA_BYTES

        out = manage(dst_env, "restore", "--force", str(archive))
        assert "Verified" in out.stdout
    finally:
        _pg_drop(src, dst)

"""Backup and restore (SEC-5): one archive of the database and the uploaded files, verified.

An archive is one ``anju-backup-YYYYmmdd-HHMMSS+0800.tar.gz`` holding::

    database/anju.sqlite3   SQLite: a copy made with the online backup API
    database/anju.pgdump    PostgreSQL: ``pg_dump --format=custom``
    media/<path>            every file under MEDIA_ROOT
    manifest.json           format, versions, per-table row counts and digests, file hashes

The per-table digests come from the same snapshot as the dump (SQLite: the copy itself;
PostgreSQL: the REPEATABLE READ transaction whose snapshot ``pg_dump --snapshot`` uses), so a
restore can recompute them with the same function and prove every row came back.

Media files are read after the database snapshot. Django writes an upload before the row
that names it is committed, so every file the snapshot refers to is already on disk; a file
uploaded during the backup may be in the archive without its row, never the reverse (unless
it was deleted meanwhile).

The commands (``backup``, ``restore``, ``verify_backup``) are thin; docs/operations.md says
how to operate them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import tomllib
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path, PurePosixPath

import django
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

FORMAT = "anju-backup"
FORMAT_VERSION = 1
TABLE_DIGEST = "sha256-rows-v1"  # see _row_bytes; change the name if the encoding changes
MANIFEST = "manifest.json"
DB_MEMBERS = {"sqlite": "database/anju.sqlite3", "postgresql": "database/anju.pgdump"}
MEDIA_PREFIX = "media/"
ARCHIVE_PREFIX = "anju-backup-"
ARCHIVE_SUFFIX = ".tar.gz"
ARCHIVE_RE = re.compile(r"^anju-backup-(?P<stamp>\d{8}-\d{6}[+-]\d{4})(?:\.(?P<n>\d+))?\.tar\.gz$")
CHUNK = 1024 * 1024
FETCH_ROWS = 2000


class BackupError(Exception):
    """A backup, restore or verification failed; ``problems`` lists every difference."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []

    def __str__(self):
        lines = [self.args[0], *(f"  - {p}" for p in self.problems)]
        return "\n".join(lines)


# --- settings -------------------------------------------------------------------------------


def _setting(name: str, default: str) -> str:
    return str(getattr(settings, name, os.environ.get(name, default)) or "")


def backup_dir_setting() -> str:
    """``ANJU_BACKUP_DIR``: where the periodic backup writes; empty = periodic backup off."""
    return _setting("ANJU_BACKUP_DIR", "")


def backup_cron_setting() -> str:
    return _setting("ANJU_BACKUP_CRON", "30 2 * * *")


def backup_keep_setting() -> int:
    return int(_setting("ANJU_BACKUP_KEEP", "14") or 14)


def default_output_dir() -> Path:
    return Path(backup_dir_setting() or Path(settings.VAR_DIR) / "backups")


# --- table digests --------------------------------------------------------------------------


def _canonical(value) -> str:
    """One value as text, typed, so that 1, "1", 1.0 and True never digest alike."""
    if value is None:
        return "N"
    if isinstance(value, bool):
        return "b1" if value else "b0"
    if isinstance(value, int):
        return f"i{value}"
    if isinstance(value, float):
        return f"f{value!r}"
    if isinstance(value, Decimal):
        return f"d{value}"
    if isinstance(value, bytes | bytearray | memoryview):
        return f"x{bytes(value).hex()}"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return f"t{value.isoformat()}"
    if isinstance(value, date | dtime):
        return f"t{value.isoformat()}"
    if isinstance(value, dict | list):
        return "j" + json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return f"s{value}"


def _row_bytes(row) -> bytes:
    """Length-prefixed values: no choice of separators can make two rows collide."""
    parts = [f"{len(row)}|".encode()]
    for value in row:
        data = _canonical(value).encode("utf-8", "surrogatepass")
        parts.append(f"{len(data)}:".encode())
        parts.append(data)
    return b"".join(parts)


def _digest_rows(cursor, sql: str) -> dict:
    cursor.execute(sql)
    digest, rows = hashlib.sha256(), 0
    while batch := cursor.fetchmany(FETCH_ROWS):
        for row in batch:
            digest.update(_row_bytes(row))
            rows += 1
    return {"rows": rows, "sha256": digest.hexdigest()}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_table_digests(conn: sqlite3.Connection) -> dict[str, dict]:
    """Row count and digest of every table of a SQLite file, rows in primary-key order."""
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
            "ORDER BY name"
        )
    ]
    result = {}
    for table in tables:
        info = conn.execute(f"PRAGMA table_info({_q(table)})").fetchall()
        pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
        order = ", ".join(_q(c) for c in (pk or [r[1] for r in info]))
        cursor = conn.cursor()
        try:
            result[table] = _digest_rows(cursor, f"SELECT * FROM {_q(table)} ORDER BY {order}")
        finally:
            cursor.close()
    return result


_PG_TABLES = """
SELECT n.nspname, c.relname, c.oid
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%%'
ORDER BY 1, 2
"""

_PG_PK = """
SELECT a.attname, t.typcategory
FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
JOIN pg_type t ON t.oid = a.atttypid
WHERE i.indrelid = %s AND i.indisprimary
ORDER BY array_position(i.indkey::int2[], a.attnum)
"""


def _pg_tables(cursor) -> list[tuple[str, str, str]]:
    """(key, qualified name, ORDER BY clause) of every user table."""
    cursor.execute(_PG_TABLES)
    tables = []
    for schema, name, oid in cursor.fetchall():
        cursor.execute(_PG_PK, [oid])
        # Text keys sort by byte ("C") so the order cannot depend on the database's locale.
        pk = [_q(c) + (' COLLATE "C"' if cat == "S" else "") for c, cat in cursor.fetchall()]
        qualified = f"{_q(schema)}.{_q(name)}"
        order = ", ".join(pk) if pk else '(_t::text) COLLATE "C"'
        key = name if schema == "public" else f"{schema}.{name}"
        tables.append((key, qualified, order))
    return tables


def postgres_table_digests(alias: str = DEFAULT_DB_ALIAS) -> dict[str, dict]:
    """Row count and digest of every user table, read inside the caller's transaction."""
    conn = connections[alias]
    with conn.cursor() as cursor:
        tables = _pg_tables(cursor)
    result = {}
    for key, qualified, order in tables:
        # A server-side cursor streams big tables instead of loading them into memory.
        with conn.chunked_cursor() as cursor:
            sql = f"SELECT _t.* FROM {qualified} AS _t ORDER BY {order}"
            result[key] = _digest_rows(cursor, sql)
    return result


def _table_differences(expected: dict, actual: dict) -> list[str]:
    problems = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if got is None:
            problems.append(f"table {table}: missing after restore")
        elif want is None:
            problems.append(f"table {table}: not in the backup ({got['rows']} rows)")
        elif want["rows"] != got["rows"]:
            problems.append(f"table {table}: {got['rows']} rows, the backup had {want['rows']}")
        elif want["sha256"] != got["sha256"]:
            problems.append(f"table {table}: row contents differ from the backup (checksum)")
    return problems


# --- files ----------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


class _HashingReader:
    """Hash the bytes as tarfile reads them: the archived bytes are the hashed bytes."""

    def __init__(self, f):
        self.f = f
        self.digest = hashlib.sha256()

    def read(self, size=-1):
        data = self.f.read(size)
        self.digest.update(data)
        return data


def _media_files(root: Path, skip: list[Path]) -> list[tuple[str, Path]]:
    """(relative posix path, absolute path) of every regular file under MEDIA_ROOT."""
    if not root.is_dir():
        return []
    skip_resolved = [p.resolve() for p in skip]
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if (here / d).resolve() not in skip_resolved)
        for name in filenames:
            path = here / name
            if path.is_file() and not path.is_symlink():
                files.append((path.relative_to(root).as_posix(), path))
    return sorted(files)


def _safe_relative(name: str) -> bool:
    p = PurePosixPath(name)
    return bool(name) and not p.is_absolute() and ".." not in p.parts and "\\" not in name


# --- database side, per vendor --------------------------------------------------------------


def _vendor() -> str:
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    if vendor not in DB_MEMBERS:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _sqlite_path() -> Path | None:
    name = str(connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        return None
    return Path(name)


def _migrations_from_rows(rows) -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in rows:
        latest[app] = name
    return dict(sorted(latest.items()))


def _snapshot_sqlite(workdir: Path) -> dict:
    """Copy the live database with the online backup API; digest the copy, not the original."""
    copy = workdir / "anju.sqlite3"
    conn = connections[DEFAULT_DB_ALIAS]
    conn.ensure_connection()
    dest = sqlite3.connect(copy)
    try:
        conn.connection.backup(dest)  # all pages in one step: one consistent snapshot
        dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        check = dest.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The database copy fails SQLite's integrity check: {check}")
        tables = sqlite_table_digests(dest)
        migrations = _migrations_from_rows(
            dest.execute("SELECT app, name FROM django_migrations ORDER BY id")
        )
        server_version = sqlite3.sqlite_version
    finally:
        dest.close()
    return {
        "dump": copy,
        "dump_format": "sqlite3 database file",
        "tables": tables,
        "migrations": migrations,
        "server_version": server_version,
    }


def _pg_bin(name: str) -> str:
    bindir = _setting("ANJU_PG_BINDIR", "")
    found = shutil.which(name, path=bindir or None)
    if not found:
        raise BackupError(
            f"{name} not found. Install the PostgreSQL client tools of the server's major "
            "version (Debian: apt-get install postgresql-client) or set ANJU_PG_BINDIR."
        )
    return found


def _pg_env() -> dict[str, str]:
    """libpq environment from settings.DATABASES: the password never appears in argv."""
    s = connections[DEFAULT_DB_ALIAS].settings_dict
    env = dict(os.environ)
    for var, value in (
        ("PGDATABASE", s.get("NAME")),
        ("PGHOST", s.get("HOST")),
        ("PGPORT", s.get("PORT")),
        ("PGUSER", s.get("USER")),
        ("PGPASSWORD", s.get("PASSWORD")),
        ("PGSSLMODE", (s.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[var] = str(value)
    env["PGAPPNAME"] = "anju-backup"
    return env


def _run_pg_tool(args: list[str], what: str) -> None:
    proc = subprocess.run(args, env=_pg_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{what} failed (exit {proc.returncode}):", proc.stderr.splitlines())


def _snapshot_postgres(workdir: Path) -> dict:
    """pg_dump and the digests read the same exported snapshot of one REPEATABLE READ txn."""
    dump = workdir / "anju.pgdump"
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.in_atomic_block:
        raise BackupError("A backup cannot run inside a transaction.")
    pg_dump = _pg_bin("pg_dump")
    with (
        transaction.atomic(),
        conn.cursor() as cursor,
        tempfile.TemporaryFile(mode="w+") as errors,
    ):
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, server_version = cursor.fetchone()
        proc = subprocess.Popen(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={dump}", "-w"],
            env=_pg_env(),
            stdout=subprocess.DEVNULL,
            stderr=errors,
            text=True,
        )
        try:
            tables = postgres_table_digests()
            cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
            migrations = _migrations_from_rows(cursor.fetchall())
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        # The snapshot lives as long as this transaction: wait for pg_dump before ending it.
        returncode = proc.wait()
        errors.seek(0)
        stderr = errors.read()
    if returncode != 0:
        raise BackupError(f"pg_dump failed (exit {returncode}):", stderr.splitlines())
    return {
        "dump": dump,
        "dump_format": "pg_dump custom",
        "tables": tables,
        "migrations": migrations,
        "server_version": server_version,
    }


# --- backup ---------------------------------------------------------------------------------


def _app_info() -> dict:
    info = {"django": django.get_version()}
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as f:
            info["version"] = tomllib.load(f)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        pass
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
        )
        if proc.returncode == 0:
            info["git_commit"] = proc.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def _archive_path(directory: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S%z")
    path = directory / f"{ARCHIVE_PREFIX}{stamp}{ARCHIVE_SUFFIX}"
    n = 1
    while path.exists():  # two backups in one second: number the later one
        n += 1
        path = directory / f"{ARCHIVE_PREFIX}{stamp}.{n}{ARCHIVE_SUFFIX}"
    return path


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str) -> dict:
    with open(path, "rb") as f:  # open first: a file deleted meanwhile fails before the header
        info = tar.gettarinfo(arcname=arcname, fileobj=f)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _HashingReader(f)
        tar.addfile(info, reader)
    return {"size": info.size, "sha256": reader.digest.hexdigest()}


def _add_media(tar: tarfile.TarFile, files: list[tuple[str, Path]]) -> dict[str, dict]:
    media = {}
    for rel, path in files:
        try:
            media[rel] = _add_file(tar, path, MEDIA_PREFIX + rel)
        except FileNotFoundError:
            continue  # deleted (e.g. purged) since the listing: its row is gone or going
    return media


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    pruned: list[Path] = field(default_factory=list)


def create_backup(output_dir: Path | str | None = None, keep: int | None = None) -> BackupResult:
    """Write one archive of the database and MEDIA_ROOT; prune to ``keep`` newest archives."""
    if keep is not None and keep < 1:
        raise BackupError("--keep must be 1 or more.")
    started = time.monotonic()
    vendor = _vendor()
    directory = Path(output_dir) if output_dir else default_output_dir()
    directory.mkdir(parents=True, exist_ok=True)
    now = timezone.localtime()
    with tempfile.TemporaryDirectory(prefix=".anju-backup-", dir=directory) as tmp:
        workdir = Path(tmp)
        snap = _snapshot_postgres(workdir) if vendor == "postgresql" else _snapshot_sqlite(workdir)
        path = _archive_path(directory, now)
        partial = workdir / (path.name + ".partial")
        media_root = Path(settings.MEDIA_ROOT)
        with tarfile.open(partial, "w:gz", format=tarfile.PAX_FORMAT) as tar:
            dump = _add_file(tar, snap["dump"], DB_MEMBERS[vendor])
            snap["dump"].unlink()  # free the disk before the media are copied
            media = _add_media(tar, _media_files(media_root, skip=[directory]))
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": now.isoformat(),
                "app": _app_info(),
                "database": {
                    "vendor": vendor,
                    "server_version": snap["server_version"],
                    "dump": {"path": DB_MEMBERS[vendor], "format": snap["dump_format"], **dump},
                },
                "migrations": snap["migrations"],
                "table_digest": TABLE_DIGEST,
                "tables": snap["tables"],
                "media": {"root": MEDIA_PREFIX, "files": media},
                "not_included": ["the secret key file (var/secret_key)", "environment settings"],
            }
            manifest["elapsed_seconds"] = round(time.monotonic() - started, 2)
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            tar.addfile(info, io.BytesIO(data))
        with open(partial, "rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, path)  # only complete archives ever carry the final name
    pruned = prune_backups(directory, keep) if keep else []
    return BackupResult(path=path, manifest=manifest, pruned=pruned)


def list_backups(directory: Path | str) -> list[Path]:
    """Archives in ``directory``, oldest first (by the timestamp in the name)."""
    found = []
    for path in Path(directory).iterdir():
        m = ARCHIVE_RE.match(path.name)
        if m and path.is_file():
            stamp = datetime.strptime(m["stamp"], "%Y%m%d-%H%M%S%z")
            found.append(((stamp, int(m["n"] or 1)), path))
    return [p for _, p in sorted(found)]


def prune_backups(directory: Path | str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives; other files are never touched."""
    if keep < 1:
        raise BackupError("Retention must keep at least one archive.")
    archives = list_backups(directory)
    doomed = archives[:-keep]
    for path in doomed:
        path.unlink()
    return doomed


def scheduled_backup() -> str | None:
    """The periodic backup: to ANJU_BACKUP_DIR, keeping the newest ANJU_BACKUP_KEEP."""
    directory = backup_dir_setting()
    if not directory:
        return None
    return str(create_backup(directory, keep=backup_keep_setting()).path)


# --- reading an archive ---------------------------------------------------------------------


@dataclass
class StagedArchive:
    root: Path  # where the members were extracted
    manifest: dict
    members: dict[str, dict]  # name -> {"size", "sha256"} of what the archive really holds
    problems: list[str]

    @property
    def vendor(self) -> str:
        return self.manifest["database"]["vendor"]

    @property
    def dump_path(self) -> Path:
        return self.root / self.manifest["database"]["dump"]["path"]


def stage_archive(archive: Path | str, root: Path) -> StagedArchive:
    """Extract every member into ``root`` (one pass), hashing it; compare with the manifest."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"No such archive: {archive}")
    members: dict[str, dict] = {}
    problems: list[str] = []
    manifest = None
    try:
        with tarfile.open(archive, "r|*") as tar:
            for member in tar:
                name = member.name
                if member.isdir():
                    continue
                if not member.isfile() or not _safe_relative(name):
                    problems.append(f"unexpected archive member refused: {name}")
                    continue
                source = tar.extractfile(member)
                if name == MANIFEST:
                    manifest = _parse_manifest(source.read())
                    continue
                target = root / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with open(target, "wb") as out:
                    while block := source.read(CHUNK):
                        digest.update(block)
                        out.write(block)
                members[name] = {"size": member.size, "sha256": digest.hexdigest()}
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BackupError(f"Cannot read the archive {archive}: {exc}") from exc
    if manifest is None:
        raise BackupError(f"{archive} has no {MANIFEST}: not an Anju backup.")
    problems += _member_differences(manifest, members)
    return StagedArchive(root=root, manifest=manifest, members=members, problems=problems)


def _parse_manifest(data: bytes) -> dict:
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise BackupError(f"{MANIFEST} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST} is not an Anju backup manifest.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"Backup format version {manifest.get('format_version')} is not supported "
            f"(this version of Anju reads version {FORMAT_VERSION})."
        )
    if manifest.get("database", {}).get("vendor") not in DB_MEMBERS:
        raise BackupError(f"{MANIFEST} names no supported database vendor.")
    return manifest


def _member_differences(manifest: dict, members: dict) -> list[str]:
    expected = {manifest["database"]["dump"]["path"]: manifest["database"]["dump"]}
    for rel, meta in manifest["media"]["files"].items():
        expected[MEDIA_PREFIX + rel] = meta
    problems = []
    for name in sorted(set(expected) | set(members)):
        want, got = expected.get(name), members.get(name)
        what = "database dump" if name == manifest["database"]["dump"]["path"] else "file"
        if got is None:
            problems.append(f"{what} {name}: listed in the manifest, missing from the archive")
        elif want is None:
            problems.append(f"{what} {name}: in the archive, not in the manifest")
        elif want["sha256"] != got["sha256"] or want["size"] != got["size"]:
            problems.append(f"{what} {name}: sha256 differs from the manifest")
    return problems


@dataclass
class VerifyResult:
    manifest: dict
    checked: list[str]


def verify_archive(archive: Path | str) -> VerifyResult:
    """Check an archive without restoring: hashes; SQLite: table digests; PostgreSQL: listing."""
    with tempfile.TemporaryDirectory(prefix=".anju-verify-") as tmp:
        staged = stage_archive(archive, Path(tmp))
        if staged.problems:
            raise BackupError(f"{archive} is damaged:", staged.problems)
        checked = [f"sha256 of the database dump and {len(staged.members) - 1} media file(s)"]
        if staged.vendor == "sqlite":
            conn = sqlite3.connect(staged.dump_path)
            try:
                actual = sqlite_table_digests(conn)
            finally:
                conn.close()
            problems = _table_differences(staged.manifest["tables"], actual)
            if problems:
                raise BackupError(f"{archive}: the database copy does not match:", problems)
            checked.append(f"row counts and checksums of {len(actual)} table(s)")
        else:
            _run_pg_tool([_pg_bin("pg_restore"), "--list", str(staged.dump_path)], "pg_restore")
            checked.append("the dump's table of contents (pg_restore --list)")
        return VerifyResult(manifest=staged.manifest, checked=checked)


# --- restore --------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    manifest: dict
    tables: int
    rows: int
    files: int
    moved_aside: list[Path]
    pending_migrations: int


def _pg_user_tables() -> list[tuple[str, str]]:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(_PG_TABLES)
        return [(schema, name) for schema, name, _ in cursor.fetchall()]


def _sqlite_user_tables(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    conn = sqlite3.connect(path)
    try:
        return [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
            )
        ]
    finally:
        conn.close()


def _media_has_files(root: Path) -> bool:
    return root.is_dir() and any(p.is_file() or p.is_symlink() for p in root.rglob("*"))


def _aside_name(path: Path, stamp: str) -> Path:
    return path.with_name(f"{path.name}.pre-restore-{stamp}")


def _check_target(vendor: str) -> list[str]:
    """What is in the way of the restore (empty list: the target is empty)."""
    in_the_way = []
    if vendor == "sqlite":
        path = _sqlite_path()
        if path is None:
            raise BackupError("Cannot restore into an in-memory SQLite database.")
        tables = _sqlite_user_tables(path)
        if tables:
            in_the_way.append(f"the database {path} has {len(tables)} table(s)")
    else:
        tables = _pg_user_tables()
        if tables:
            name = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
            in_the_way.append(f"the database {name} has {len(tables)} table(s)")
    media_root = Path(settings.MEDIA_ROOT)
    if _media_has_files(media_root):
        in_the_way.append(f"MEDIA_ROOT {media_root} holds files")
    return in_the_way


def _clear_sqlite(path: Path, stamp: str, moved: list[Path]) -> None:
    """Remove the target file; one with tables (--force) is first copied aside, consistently."""
    if _sqlite_user_tables(path):
        aside = _aside_name(path, stamp)
        src, dst = sqlite3.connect(path), sqlite3.connect(aside)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        moved.append(aside)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _clear_postgres() -> None:
    """--force: drop every user table (and what depends on it) in the target database."""
    with transaction.atomic(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        for schema, name in _pg_user_tables():
            cursor.execute(f"DROP TABLE IF EXISTS {_q(schema)}.{_q(name)} CASCADE")
        cursor.execute(
            "SELECT n.nspname, c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('S', 'v', 'm') AND n.nspname <> 'information_schema' "
            "AND n.nspname NOT LIKE 'pg\\_%%'"
        )
        kinds = {"S": "SEQUENCE", "v": "VIEW", "m": "MATERIALIZED VIEW"}
        for schema, name, kind in cursor.fetchall():
            cursor.execute(f"DROP {kinds[kind]} IF EXISTS {_q(schema)}.{_q(name)} CASCADE")


def _place_sqlite(staged: StagedArchive) -> None:
    path = _sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):  # never pair the new file with an old log
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.move(str(staged.dump_path), str(path))


def _place_postgres(staged: StagedArchive) -> None:
    _run_pg_tool(
        [
            _pg_bin("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "-w",
            f"--dbname={connections[DEFAULT_DB_ALIAS].settings_dict['NAME']}",
            str(staged.dump_path),
        ],
        "pg_restore",
    )


def _place_media(staged: StagedArchive) -> int:
    media_root = Path(settings.MEDIA_ROOT)
    count = 0
    for rel in staged.manifest["media"]["files"]:
        target = media_root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged.root / MEDIA_PREFIX / rel), str(target))
        count += 1
    return count


def restored_table_digests(vendor: str) -> dict[str, dict]:
    """The live database's digests, computed as the backup computed them."""
    if vendor == "sqlite":
        conn = sqlite3.connect(_sqlite_path())
        try:
            return sqlite_table_digests(conn)
        finally:
            conn.close()
    conn = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic(), conn.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return postgres_table_digests()


def verify_restored(manifest: dict) -> list[str]:
    """Every difference between the live database + MEDIA_ROOT and the manifest."""
    actual = restored_table_digests(manifest["database"]["vendor"])
    problems = _table_differences(manifest["tables"], actual)
    media_root = Path(settings.MEDIA_ROOT)
    expected = manifest["media"]["files"]
    on_disk = dict(_media_files(media_root, skip=[]))
    for rel in sorted(set(expected) | set(on_disk)):
        if rel not in on_disk:
            problems.append(f"file media/{rel}: missing after restore")
        elif rel not in expected:
            problems.append(f"file media/{rel}: not in the backup")
        elif sha256_file(on_disk[rel]) != expected[rel]["sha256"]:
            problems.append(f"file media/{rel}: sha256 differs from the backup")
    return problems


def _pending_migrations() -> int:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def restore_backup(archive: Path | str, *, force: bool = False) -> RestoreResult:
    """Restore ``archive`` into the configured (empty) database and MEDIA_ROOT, then verify.

    Refuses a target that has tables or media files; ``force`` first sets the SQLite file and
    MEDIA_ROOT aside as ``*.pre-restore-<timestamp>`` and drops the PostgreSQL tables.
    """
    vendor = _vendor()
    media_root = Path(settings.MEDIA_ROOT)
    staging_parent = media_root.parent
    staging_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".anju-restore-", dir=staging_parent) as tmp:
        staged = stage_archive(archive, Path(tmp))
        if staged.problems:
            raise BackupError(f"{archive} is damaged; nothing was restored:", staged.problems)
        if staged.vendor != vendor:
            raise BackupError(
                f"The archive holds a {staged.vendor} database; this installation uses "
                f"{vendor}. Restore on the same database system."
            )
        in_the_way = _check_target(vendor)
        moved: list[Path] = []
        if in_the_way and not force:
            raise BackupError(
                "Restore needs an empty target; nothing was restored. Create an empty "
                "database (docs/operations.md) or pass --force to replace the current data:",
                in_the_way,
            )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        connections.close_all()
        if vendor == "sqlite":
            _clear_sqlite(_sqlite_path(), stamp, moved)
        elif _pg_user_tables():
            _clear_postgres()
        if _media_has_files(media_root):
            aside = _aside_name(media_root, stamp)
            media_root.rename(aside)
            moved.append(aside)
        if vendor == "sqlite":
            _place_sqlite(staged)
        else:
            _place_postgres(staged)
        files = _place_media(staged)
    connections.close_all()
    problems = verify_restored(staged.manifest)
    if problems:
        raise BackupError("The restored data does not match the backup's manifest:", problems)
    tables = staged.manifest["tables"]
    return RestoreResult(
        manifest=staged.manifest,
        tables=len(tables),
        rows=sum(t["rows"] for t in tables.values()),
        files=files,
        moved_aside=moved,
        pending_migrations=_pending_migrations(),
    )

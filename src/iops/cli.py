"""The ``iops`` command: run the system, manage its database, users, tokens and audit log.

Each sub-command is a thin front on a service or a Django management command, so scripts can rely
on these forms (see ``iops --help``). A database that cannot be reached or started is reported in
one line (what was tried, what to set), never a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

EXIT_DATABASE = 2
EXIT_USAGE = 64
EXIT_CONFIGURATION = 78  # sysexits EX_CONFIG
# Web server processes: twice the cores. Each runs Python under one GIL, so a second process per
# core keeps the core busy while the first waits on PostgreSQL; more only adds switching (ADR 6).
DEFAULT_WEB_WORKERS = max(2, 2 * (os.cpu_count() or 1))


def _say(message: str) -> None:
    print(message, flush=True)


def _fail(message: str, code: int = 1) -> None:
    print(f"iops: {message}", file=sys.stderr, flush=True)
    raise SystemExit(code)


def setup_django() -> None:
    """Find or start the database, then set Django up. Database problems exit with one line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iops.settings")
    from django.core.exceptions import ImproperlyConfigured

    from iops.platform.database import DatabaseUnavailable, database_url

    try:
        database_url()
        import django

        django.setup()
    except DatabaseUnavailable as error:
        _fail(str(error), EXIT_DATABASE)
    except ImproperlyConfigured as error:
        _fail(f"configuration: {error}", EXIT_CONFIGURATION)
    _check_connection()


def _check_connection() -> None:
    from django.db import connection
    from django.db.utils import OperationalError

    from iops.platform.database import parse_database_url

    try:
        connection.ensure_connection()
    except OperationalError as error:
        url = os.environ.get("DATABASE_URL", "")
        where = parse_database_url(url).describe() if url else "the embedded server"
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        embedded = os.environ.get("IOPS_EMBEDDED_DATABASE") == "1"
        hint = (
            "check IOPS_DATA_DIR, or set DATABASE_URL to a PostgreSQL server"
            if embedded
            else "set DATABASE_URL to a reachable PostgreSQL server, or unset it to use the embedded one"
        )
        _fail(f"cannot reach PostgreSQL at {where}: {reason.rstrip('.')}; {hint}.", EXIT_DATABASE)


def _call(command: str, *args: str, **options: Any) -> None:
    from django.core.management import call_command

    call_command(command, *args, **options)


# --- sub-commands -------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> None:
    setup_django()
    _call("migrate", interactive=False, verbosity=1 if args.verbose else 0)
    _say("Database is up to date.")


def cmd_demo_data(args: argparse.Namespace) -> None:
    setup_django()
    _call("demo_data", size=args.size, seed=args.seed)


def cmd_createuser(args: argparse.Namespace) -> None:
    setup_django()
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            _fail("no password on standard input.", EXIT_USAGE)
    _call(
        "iops_createuser",
        args.username,
        roles=args.role,
        password=password,
        collar_number=args.collar_number,
        rank=args.rank,
        first_name=args.first_name,
        last_name=args.last_name,
        team=args.team,
    )


def cmd_token_create(args: argparse.Namespace) -> None:
    setup_django()
    _call("iops_token_create", args.username, name=args.name)


def cmd_audit_verify(args: argparse.Namespace) -> None:
    setup_django()
    _call("audit_verify")


def cmd_check(args: argparse.Namespace) -> None:
    setup_django()
    _call("iops_check")


def cmd_worker(args: argparse.Namespace) -> None:
    setup_django()
    _call("procrastinate", "worker")


def cmd_manage(args: argparse.Namespace) -> None:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["iops manage", *args.rest])


def cmd_import_boundaries(args: argparse.Namespace) -> None:
    setup_django()
    _call(
        "import_boundaries",
        args.file,
        kind=args.kind,
        code_property=args.code_property,
        name_property=args.name_property,
        parent_property=args.parent_property,
    )


def cmd_import_gazetteer(args: argparse.Namespace) -> None:
    setup_django()
    _call("import_gazetteer", args.file)


def cmd_run(args: argparse.Namespace) -> None:
    """Start everything one machine needs: database, migrations, demo data, worker, web server."""
    started = time.monotonic()
    # A plain-HTTP server on the loopback address keeps its session cookie only if the cookie is
    # not marked Secure; anywhere else iOPS expects to sit behind HTTPS. Set before settings load.
    os.environ.setdefault(
        "IOPS_INSECURE_COOKIES", "1" if args.host in ("127.0.0.1", "localhost", "::1") else "0"
    )
    setup_django()
    from django.conf import settings

    embedded = os.environ.get("IOPS_EMBEDDED_DATABASE") == "1"
    _say(
        f"iOPS: database {'embedded PostgreSQL in ' + str(settings.DATA_DIR / 'pgdata') if embedded else 'from DATABASE_URL'}"
    )
    _call("migrate", interactive=False, verbosity=0)
    if not args.no_demo:
        _call("demo_data", size=args.demo_size, seed=2019, if_empty=True)
    _call("demo_credentials")
    worker = None
    if not args.no_worker:
        worker = subprocess.Popen([sys.executable, "-m", "iops.cli", "worker"], env=os.environ.copy())
    # The server reads these before anything else so a plain-HTTP local server keeps sessions.
    os.environ.setdefault(
        "IOPS_INSECURE_COOKIES", "1" if args.host in ("127.0.0.1", "localhost", "::1") else "0"
    )
    _say(
        f"iOPS: serving on http://{args.host}:{args.port} (ready in {time.monotonic() - started:.1f}s; Ctrl-C stops)"
    )

    def stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        import uvicorn

        uvicorn.run(
            "iops.asgi:application",
            host=args.host,
            port=args.port,
            workers=args.workers,
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=3,
        )
    except KeyboardInterrupt:
        pass
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
        _say("iOPS: stopped.")


# --- parser -------------------------------------------------------------------------------------

Handler = Callable[[argparse.Namespace], None]


def _positive(value: str) -> int:
    """A whole number of at least 1, for argparse (which applies it to string defaults too)."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iops",
        description="iOPS: Integrated Operational Policing System. With no DATABASE_URL, a private "
        "PostgreSQL is started in IOPS_DATA_DIR.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run", help="start the database, migrate, add demo data if empty, start the worker and serve"
    )
    run.add_argument(
        "--host",
        default=os.environ.get("IOPS_HOST", "127.0.0.1"),
        help="address to listen on (default 127.0.0.1)",
    )
    run.add_argument(
        "--port", type=int, default=int(os.environ.get("IOPS_PORT", "8000")), help="port (default 8000)"
    )
    run.add_argument(
        "--workers",
        type=_positive,
        default=os.environ.get("IOPS_WEB_WORKERS", str(DEFAULT_WEB_WORKERS)),
        help=f"web server processes (default IOPS_WEB_WORKERS or twice the cores: {DEFAULT_WEB_WORKERS})",
    )
    run.add_argument("--no-demo", action="store_true", help="do not add demo data to an empty database")
    run.add_argument(
        "--demo-size",
        default="small",
        choices=["small", "medium", "large"],
        help="size of the demo force made on first run",
    )
    run.add_argument("--no-worker", action="store_true", help="do not start the background worker")
    run.set_defaults(handler=cmd_run)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("-v", "--verbose", action="store_true")
    migrate.set_defaults(handler=cmd_migrate)

    demo = sub.add_parser(
        "demo-data",
        help="build a synthetic force: areas, gazetteer, users and (with later apps) people, incidents, crimes",
    )
    demo.add_argument("--size", default="small", choices=["small", "medium", "large"])
    demo.add_argument("--seed", type=int, default=2019, help="same seed, same force (default 2019)")
    demo.set_defaults(handler=cmd_demo_data)

    create = sub.add_parser("createuser", help="create a user with a role")
    create.add_argument("username")
    create.add_argument(
        "--role",
        action="append",
        required=True,
        help="role code (repeat for more than one); see 'iops check' for the list",
    )
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    create.add_argument("--collar-number", default="")
    create.add_argument("--rank", default="staff")
    create.add_argument("--first-name", default="")
    create.add_argument("--last-name", default="")
    create.add_argument("--team", default="", help="team code")
    create.set_defaults(handler=cmd_createuser)

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    token_create = token_sub.add_parser(
        "create", help="create an API token for USERNAME; the token is the last line printed"
    )
    token_create.add_argument("username")
    token_create.add_argument("--name", default="", help="what the token is for")
    token_create.set_defaults(handler=cmd_token_create)

    audit = sub.add_parser("audit", help="the s.62 audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_sub.add_parser(
        "verify", help="check the hash chain; names any altered or removed entry (exit 1)"
    )
    verify.set_defaults(handler=cmd_audit_verify)

    check = sub.add_parser("check", help="check configuration and database health (exit 1 on a problem)")
    check.set_defaults(handler=cmd_check)

    worker = sub.add_parser(
        "worker", help="run the background worker (duty sweeps, outbox) in the foreground"
    )
    worker.set_defaults(handler=cmd_worker)

    imp = sub.add_parser("import", help="load a force's own boundaries or gazetteer")
    imp_sub = imp.add_subparsers(dest="import_command", metavar="WHAT", required=True)
    boundaries = imp_sub.add_parser("boundaries", help="areas from a GeoJSON FeatureCollection")
    boundaries.add_argument("file")
    boundaries.add_argument("--kind", required=True, choices=["district", "neighbourhood", "beat", "lsoa"])
    boundaries.add_argument("--code-property", default="code")
    boundaries.add_argument("--name-property", default="name")
    boundaries.add_argument("--parent-property", default="")
    boundaries.set_defaults(handler=cmd_import_boundaries)
    gazetteer = imp_sub.add_parser(
        "gazetteer", help="addresses from a CSV in the shape of a UPRN address file"
    )
    gazetteer.add_argument("file")
    gazetteer.set_defaults(handler=cmd_import_gazetteer)

    manage = sub.add_parser("manage", help="run a Django management command (for developers)")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_manage)

    for extend in _extensions():
        extend(sub)
    return parser


def _extensions() -> list[Callable[[Any], None]]:
    """Later apps add sub-commands (duties sweep, simulate) through ``iops.cli_extensions``."""
    try:
        from iops.cli_extensions import EXTENSIONS
    except ImportError:
        return []
    return list(EXTENSIONS)


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        raise SystemExit(EXIT_USAGE)
    from django.core.management.base import CommandError

    try:
        handler(args)
    except CommandError as error:
        _fail(str(error), getattr(error, "returncode", 1))
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()

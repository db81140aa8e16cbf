"""``python -m desk [--port N]``: serve the desk on 127.0.0.1 (waitress) until stopped.

Meant to sit behind the firm's VPN or a TLS reverse proxy; it never listens beyond loopback
unless --host says so. A missing or wrong INTAKE_DATA_KEY stops it with a clear message.
"""
from __future__ import annotations

import argparse
import logging
import sys

from sqlalchemy.exc import SQLAlchemyError

from firm import SettingsError, get_settings
from intake.crypto import DataKeyError
from intake.database import create_store_engine
from intake.spool import Spool
from intake.store import SqlIntakeStore


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"Cannot start the desk: {error}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m desk", description="The firm's staff web application.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.desk.port)
    args = parser.parse_args(argv)
    if not settings.desk.secure_cookies and args.host not in ("127.0.0.1", "::1", "localhost"):
        print("Cannot start the desk: desk.secure_cookies is false, which is allowed only on 127.0.0.1.",
              file=sys.stderr)
        return 2
    try:
        store = SqlIntakeStore(create_store_engine(settings.intake.database_url), settings,
                               Spool(settings.intake.spool_dir))
        store.ensure_schema()
    except DataKeyError as error:
        print(f"Cannot start the desk: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"Cannot start the desk: the intake database is not reachable ({type(error).__name__}).",
              file=sys.stderr)
        return 2
    from waitress import serve

    from desk.app import create_app

    app = create_app(store, settings)
    if not settings.desk.secure_cookies:
        logging.getLogger("desk").warning(
            "desk.secure_cookies is false: session cookies are sent over plain HTTP. Only for http://127.0.0.1.")
    print(f"The desk is serving on http://{args.host}:{args.port}/", flush=True)
    serve(app, host=args.host, port=args.port, threads=4, ident=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line for the firm's staff: list, read, export, close, erase and purge requests.

Usage: python -m intake.admin [--database-url URL] [--tracker-database-url URL] COMMAND ...

Also: ``user add|disable|reset-2fa|list`` (the desk's accounts), ``generate-key`` and
``rotate-key`` (the data key that encrypts personal data at rest, INTAKE_DATA_KEY).

Why a CLI: the lawyers need a way to see requests even when no notification channel
works, and the firm must be able to honour erasure requests and the retention period
without touching SQL. Every command prints a clear sentence and exits 0 on success,
1 on failure (e.g. "No request with reference X.").
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Optional, Sequence, TextIO

from sqlalchemy.exc import SQLAlchemyError

from firm import Settings, SettingsError, example_value_warnings, get_settings, notification_warnings
from intake.conversations import erase_conversation, purge_conversations, reencrypt_conversations
from intake.crypto import NEW_KEY_ENV, DataCipher, DataKeyError, generate_key, key_from_environment
from intake.database import compact_sqlite, create_store_engine
from intake.notify import notifiers_from_settings
from intake.outbox import OutboxWorker
from intake.records import STATUS_HANDLED, STATUS_NEW, StoredRequest
from intake.references import normalize_reference
from intake.spool import Spool
from intake.store import SqlIntakeStore
from intake.summary import format_time

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class CommandFailed(Exception):
    """A command could not do what was asked; the message is shown to the user."""


def spreadsheet_safe(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (prefix = + - @ with ')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _notified(request: StoredRequest) -> str:
    if not request.notifications:
        return "-"
    return ", ".join(f"{n.channel}: {n.status}" for n in request.notifications)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _not_found(reference: str) -> CommandFailed:
    return CommandFailed(f"No request with reference {reference}.")


# --------------------------------------------------------------------------- commands

def cmd_list(store: SqlIntakeStore, args: argparse.Namespace, out: TextIO) -> None:
    """Print one line per request, urgent ones first."""
    requests = store.list(status=args.status, limit=args.limit, urgent=True if args.urgent else None)
    if not requests:
        kind = " ".join(part for part in ("urgent" if args.urgent else "", args.status or "") if part)
        print(f"No {kind + ' ' if kind else ''}requests.", file=out)
    else:
        header = f"{'REFERENCE':<14} {'RECEIVED (UTC)':<20} {'PRIORITY':<8} {'STATUS':<8} {'PROBLEM':<24} " \
                 f"{'NAME':<30} NOTIFIED"
        print(header, file=out)
        for request in requests:
            problem = store.settings.problem_type(request.problem_type)
            label = problem.label if problem else request.problem_type
            print(f"{request.reference:<14} {format_time(request.created_at):<20} "
                  f"{'URGENT' if request.urgent else 'normal':<8} {request.status:<8} "
                  f"{_shorten(label, 24):<24} {_shorten(request.full_name, 30):<30} {_notified(request)}", file=out)
        print(f"{len(requests)} request(s).", file=out)
    waiting = store.spooled_count()
    if waiting:
        print(f"{waiting} request(s) are waiting in the spool (the database was unreachable); "
              "run `python -m intake.admin deliver` to move them in.", file=out)


def cmd_show(store: SqlIntakeStore, args: argparse.Namespace, out: TextIO) -> None:
    """Print the full summary of one request with its status and delivery states."""
    request = store.get(args.reference)
    if request is None:
        raise _not_found(args.reference)
    print(request.summary, file=out)
    print("", file=out)
    status = request.status
    if request.handled_at:
        status += f" (since {format_time(request.handled_at)})"
    print(f"Status: {status}", file=out)
    for state in request.notifications:
        line = f"Notification by {state.channel}: {state.status}, {state.attempts} attempt(s)"
        if state.delivered_at:
            line += f", delivered {format_time(state.delivered_at)}"
        elif state.status == "pending" and state.next_attempt_at:
            line += f", next attempt {format_time(state.next_attempt_at)}"
        if state.last_error and state.status != "delivered":
            line += f"; last error: {state.last_error}"
        print(line, file=out)


def _export_rows(store: SqlIntakeStore, status: Optional[str]) -> list[dict[str, Any]]:
    return [request.as_record() for request in store.list(status=status, limit=None)]


def cmd_export(store: SqlIntakeStore, args: argparse.Namespace, out: TextIO) -> None:
    """Export requests as CSV (spreadsheet-safe) or JSON, to stdout or a private file."""
    rows = _export_rows(store, args.status)
    buffer = io.StringIO()
    if args.format == "json":
        json.dump(rows, buffer, ensure_ascii=False, indent=2)
        buffer.write("\n")
    else:
        columns = list(rows[0]) if rows else [
            "reference", "status", "created_at", "handled_at", "conversation_id", "channel", "full_name",
            "email", "phone", "current_country", "issuing_country", "problem_type", "language",
            "description", "consent_version", "consent_at", "urgent", "summary", "notifications"]
        writer = csv.writer(buffer)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([spreadsheet_safe(row[column]) for column in columns])
    if args.output:
        path = Path(args.output)
        # The export holds personal data: readable by this user only.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            stream.write(buffer.getvalue())
        print(f"Exported {len(rows)} request(s) to {path}.", file=out)
    else:
        out.write(buffer.getvalue())


def cmd_handled(store: SqlIntakeStore, args: argparse.Namespace, out: TextIO) -> None:
    """Mark a request as handled."""
    request = store.get(args.reference)
    if request is None:
        raise _not_found(args.reference)
    if request.status == STATUS_HANDLED:
        print(f"{request.reference} was already marked as handled.", file=out)
        return
    store.mark_handled(request.reference)
    print(f"{request.reference} is now marked as handled.", file=out)


def cmd_erase(store: SqlIntakeStore, args: argparse.Namespace, out: TextIO) -> None:
    """Erase requests (and their conversations in the tracker store), audited without personal data."""
    reference = None
    if args.reference:
        reference = normalize_reference(args.reference, store.settings.intake.reference_prefix)
        if reference is None:
            raise _not_found(args.reference)
    conversations = store.conversation_ids(conversation_id=args.conversation, reference=reference,
                                           email=args.email)
    erased = store.erase(conversation_id=args.conversation, reference=reference, email=args.email,
                         source="admin")
    tracker_url = args.tracker_database_url or store.settings.intake.tracker_database_url
    events = sum(erase_conversation(tracker_url, conversation) for conversation in conversations) \
        if tracker_url else 0
    if erased == 0 and events == 0:
        if reference:
            raise _not_found(reference)
        if args.email:
            raise CommandFailed("No request with that email address.")
        raise CommandFailed(f"No request or conversation with id {args.conversation}.")
    message = f"Erased {erased} request(s)"
    if tracker_url:
        message += f" and {events} conversation event(s) from the tracker store"
    else:
        message += " (no tracker database configured, so conversations were not erased)"
    print(message + ".", file=out)


def cmd_purge(store: SqlIntakeStore, args: argparse.Namespace, out: TextIO) -> None:
    """Delete requests and conversations older than the retention period."""
    days = args.days if args.days is not None else store.settings.intake.retention_days
    if days < 1:
        raise CommandFailed("--days must be at least 1.")
    purged = store.purge_older_than(days)
    tracker_url = args.tracker_database_url or store.settings.intake.tracker_database_url
    events = purge_conversations(tracker_url, days) if tracker_url else 0
    print(f"Purged {purged} request(s) and {events} conversation event(s) older than {days} day(s).", file=out)


def cmd_deliver(store: SqlIntakeStore, args: argparse.Namespace, out: TextIO) -> None:
    """Run the outbox once: move spooled requests in, deliver due notifications."""
    settings = store.settings
    if args.retry_failed:
        requeued = store.retry_failed_notifications()
        print(f"{requeued} failed notification(s) put back in the queue.", file=out)
    notifiers = notifiers_from_settings(settings)
    if not notifiers:
        print("No notification channel is enabled in the settings; only spooled requests are "
              "moved into the database.", file=out)
    delivered = OutboxWorker(store, notifiers, settings).run_once()
    counts = store.notification_counts()
    print(f"Delivered {delivered} notification(s). Outbox: {counts.get('pending', 0)} pending, "
          f"{counts.get('delivered', 0)} delivered, {counts.get('failed', 0)} failed.", file=out)
    waiting = store.spooled_count()
    if waiting:
        raise CommandFailed(f"{waiting} request(s) are still in the spool: the database could not take them.")


def cmd_check(store: SqlIntakeStore, args: argparse.Namespace, out: TextIO) -> None:
    """Print what must be fixed before going live (example values, notification set-up, the
    translations no lawyer has reviewed)."""
    from i18n.catalog import translation_warnings

    warnings = (example_value_warnings(store.settings) + notification_warnings(store.settings)
                + translation_warnings(store.settings.conversation.languages))
    for warning in warnings:
        print(f"WARNING: {warning}", file=out)
    if not warnings:
        print("The settings look ready to go live.", file=out)


def _read_password(args: argparse.Namespace) -> str:
    """The new password: typed twice at a terminal, or the first line of standard input."""
    if args.password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass
        password = getpass.getpass("Password for the new account: ")
        if getpass.getpass("Same password again: ") != password:
            raise CommandFailed("The two passwords differ.")
    return password


def _print_enrolment(enrolment: Any, args: argparse.Namespace, out: TextIO) -> None:
    print("Add this account to an authenticator app (TOTP) with the URI below"
          + (" or the QR code" if args.qr else "") + "; it is shown once.", file=out)
    print(enrolment.uri, file=out)
    if args.qr:
        path = Path(args.qr)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(enrolment.qr_svg())
        print(f"QR code written to {path} (SVG); delete it once scanned.", file=out)


def cmd_user(store: SqlIntakeStore, args: argparse.Namespace, out: TextIO) -> None:
    """Desk accounts: add (with a TOTP enrolment), disable, reset the second factor, list."""
    from desk import accounts

    try:
        if args.user_command == "add":
            enrolment = accounts.add_user(store, args.username, args.role, _read_password(args))
            print(f"User {args.username} ({args.role}) created.", file=out)
            _print_enrolment(enrolment, args, out)
        elif args.user_command == "disable":
            accounts.disable_user(store, args.username)
            print(f"User {args.username} is disabled and logged out.", file=out)
        elif args.user_command == "reset-2fa":
            enrolment = accounts.reset_second_factor(store, args.username)
            print(f"User {args.username} has a new second factor; the old one no longer works.", file=out)
            _print_enrolment(enrolment, args, out)
        else:
            for user in accounts.list_users(store):
                state = "disabled" if user.disabled else "active"
                print(f"{user.username:<24} {user.role:<8} {state}", file=out)
    except accounts.AccountError as error:
        raise CommandFailed(str(error)) from error


def cmd_generate_key(store: SqlIntakeStore, args: argparse.Namespace, out: TextIO) -> None:
    """Print a new random data key (for INTAKE_DATA_KEY or INTAKE_NEW_DATA_KEY)."""
    print(generate_key(), file=out)


def cmd_rotate_key(store: SqlIntakeStore, args: argparse.Namespace, out: TextIO) -> None:
    """Re-encrypt the requests, notes, second factors, conversations and spool under a new key."""
    if args.new_key_file:
        new_key = Path(args.new_key_file).read_text(encoding="ascii").strip()
    else:
        new_key = key_from_environment(name=NEW_KEY_ENV)
    new = DataCipher(new_key)
    if new.fingerprint == store.cipher.fingerprint:
        raise CommandFailed("The new key is the current key.")
    tracker_url = args.tracker_database_url or store.settings.intake.tracker_database_url
    # Conversations first: if they fail, the intake database still opens with the old key.
    events = reencrypt_conversations(tracker_url, store.cipher, new)
    counts = store.reencrypt(new)
    spooled = store.spool.reencrypt(Spool(store.spool.directory, new)) if store.spool is not None else 0
    store.close()
    for url in (tracker_url, args.database_url or store.settings.intake.database_url):
        compact_sqlite(url)
    if args.key_file:
        path = Path(args.key_file)
        temp = path.with_name(path.name + ".new")
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as stream:
            stream.write(new_key + "\n")
        os.replace(temp, path)
    print(f"Re-encrypted {counts['requests']} request(s), {counts['notes']} note(s), {counts['users']} desk "
          f"account(s), {events} conversation event(s) and {spooled} spool file(s) under the new key "
          f"(fingerprint {new.fingerprint}).", file=out)
    print("Now set INTAKE_DATA_KEY to the new key" + (f" (written to {args.key_file})" if args.key_file else "")
          + " and restart the servers: the old key no longer opens anything.", file=out)


COMMANDS = {"list": cmd_list, "show": cmd_show, "export": cmd_export, "handled": cmd_handled,
            "erase": cmd_erase, "purge": cmd_purge, "deliver": cmd_deliver, "check": cmd_check,
            "user": cmd_user, "generate-key": cmd_generate_key, "rotate-key": cmd_rotate_key}


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser (kept separate so --help texts can be tested)."""
    parser = argparse.ArgumentParser(prog="python -m intake.admin",
                                     description="Manage consultation requests received by the assistant.")
    parser.add_argument("--database-url", help="intake database (default: DATABASE_URL or firm.yml)")
    parser.add_argument("--tracker-database-url",
                        help="Rasa's SQL tracker store (default: TRACKER_DATABASE_URL or firm.yml)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    listing = commands.add_parser("list", help="list requests, urgent first")
    listing.add_argument("--status", choices=[STATUS_NEW, STATUS_HANDLED])
    listing.add_argument("--urgent", action="store_true", help="only urgent requests")
    listing.add_argument("--limit", type=int, default=200)

    show = commands.add_parser("show", help="show one request in full")
    show.add_argument("reference")

    export = commands.add_parser("export", help="export requests as CSV or JSON")
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--output", help="file to write (default: standard output)")
    export.add_argument("--status", choices=[STATUS_NEW, STATUS_HANDLED])

    handled = commands.add_parser("handled", help="mark a request as handled")
    handled.add_argument("reference")

    erase = commands.add_parser("erase", help="erase a person's requests and conversations")
    target = erase.add_mutually_exclusive_group(required=True)
    target.add_argument("--reference")
    target.add_argument("--email")
    target.add_argument("--conversation", help="conversation (sender) id")

    purge = commands.add_parser("purge", help="delete requests and conversations older than the retention period")
    purge.add_argument("--days", type=int, help="default: intake.retention_days in firm.yml")

    deliver = commands.add_parser("deliver", help="run the notification outbox once")
    deliver.add_argument("--retry-failed", action="store_true",
                         help="first put notifications that gave up back in the queue")

    commands.add_parser("check", help="list settings that must be fixed before going live")

    user = commands.add_parser("user", help="desk accounts: add, disable, reset-2fa, list")
    user_commands = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_commands.add_parser("add", help="create an account; prints the otpauth URI of its second factor")
    add.add_argument("username")
    add.add_argument("--role", choices=["lawyer", "admin"], default="lawyer")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--qr", help="also write the enrolment QR code (SVG) to this file")
    disable = user_commands.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("username")
    reset = user_commands.add_parser("reset-2fa", help="give an account a new second factor")
    reset.add_argument("username")
    reset.add_argument("--qr", help="also write the enrolment QR code (SVG) to this file")
    user_commands.add_parser("list", help="list the accounts")

    commands.add_parser("generate-key", help="print a new random data key")
    rotate = commands.add_parser("rotate-key", help="re-encrypt all personal data under a new data key "
                                                    f"(from {NEW_KEY_ENV} or --new-key-file)")
    rotate.add_argument("--new-key-file", help="file holding the new key")
    rotate.add_argument("--key-file", help="after success, write the new key to this file (e.g. .run/data.key)")
    return parser


def main(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run one command; returns the process exit code (0 success, 1 failure)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=err)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(err)
        return 1
    if args.command == "generate-key":  # needs no database and no current key
        print(generate_key(), file=out)
        return 0
    try:
        settings: Settings = get_settings()
        # Not open_store(): staff must see a database problem as an error, not as "spooling".
        store = SqlIntakeStore(create_store_engine(args.database_url or settings.intake.database_url), settings,
                               Spool(settings.intake.spool_dir))
        try:
            store.ensure_schema()
            COMMANDS[args.command](store, args, out)
        finally:
            store.close()
    except CommandFailed as failure:
        print(str(failure), file=err)
        return 1
    except DataKeyError as error:
        print(f"Cannot open the personal data: {error}", file=err)
        return 1
    except SettingsError as error:
        print(f"The settings file has problems: {error}", file=err)
        return 1
    except SQLAlchemyError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        print(f"Could not use the intake database: {type(error).__name__}: {first_line}", file=err)
        return 1
    except OSError as error:
        print(f"Could not complete the command: {error}", file=err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The desk's web application (Flask): server-rendered pages that work without JavaScript.

Security comes from maintained libraries, configured here: Flask's signed session cookie
(itsdangerous; Secure, HttpOnly, SameSite=Strict) holding only a random session id whose hash
is in the database (so logging out really ends it), Flask-WTF's CSRF tokens on every form,
argon2 passwords and a TOTP second factor (desk.accounts), Jinja's autoescaping for everything
a person typed, and a strict Content-Security-Policy (no script at all, styles from this server).
Every view, export, erase, purge and login is written to the audit log: who, what, when, and
which request only as a one-way hash of its reference.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from flask import Flask, Response, abort, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from desk import accounts, cases
from firm import Settings
from firm.settings import PROJECT_ROOT
from intake.conversations import conversation_events, erase_conversation, purge_conversations, transcript
from intake.records import STATUS_HANDLED
from intake.references import normalize_reference
from intake.store import SqlIntakeStore
from intake.summary import format_time

CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")
SECRET_KEY_FILE = PROJECT_ROOT / ".run" / "desk_secret.key"


def secret_key(environ: Optional[dict[str, str]] = None) -> str:
    """The key that signs the session cookies: DESK_SECRET_KEY, else a file (created 0600)."""
    environ = dict(os.environ) if environ is None else environ
    if environ.get("DESK_SECRET_KEY"):
        return environ["DESK_SECRET_KEY"]
    path = Path(environ.get("DESK_SECRET_KEY_FILE") or SECRET_KEY_FILE)
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as stream:
        stream.write(key + "\n")
    return key


def create_app(store: SqlIntakeStore, settings: Settings, *, key: Optional[str] = None,
               tracker_database_url: Optional[str] = None) -> Flask:
    """The desk on ``store``; ``tracker_database_url`` (default: the settings') holds the conversations."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=key or secret_key(),
        SESSION_COOKIE_NAME="desk_session",
        SESSION_COOKIE_SECURE=settings.desk.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.desk.session_hours),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=settings.desk.secure_cookies,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    CSRFProtect(app)
    tracker_url = tracker_database_url or settings.intake.tracker_database_url
    max_age = timedelta(hours=settings.desk.session_hours)
    lockout = timedelta(minutes=settings.desk.lockout_minutes)

    def problem_label(problem_id: str) -> str:
        problem = settings.problem_type(problem_id)
        return problem.label if problem else problem_id

    app.jinja_env.globals.update(problem_label=problem_label, firm_name=settings.firm.name)
    app.jinja_env.filters["utc"] = lambda moment: format_time(moment) if moment else ""
    app.jinja_env.filters["unix_utc"] = lambda stamp: format_time(datetime.fromtimestamp(stamp, timezone.utc))

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        return render_template("error.html", message="This form has expired or was not sent by the desk. "
                                                     "Go back, reload the page and try again."), 403

    @app.errorhandler(403)
    def forbidden(_error: Any) -> tuple[str, int]:
        return render_template("error.html", message="Your role does not allow this."), 403

    @app.errorhandler(404)
    def not_found(_error: Any) -> tuple[str, int]:
        return render_template("error.html", message="No such page or request."), 404

    @app.before_request
    def load_user() -> None:
        g.user = accounts.session_user(store, session.get("sid"), max_age=max_age)

    def login_required(admin: bool = False) -> Callable:
        def decorator(view: Callable) -> Callable:
            @functools.wraps(view)
            def wrapped(*args: Any, **kwargs: Any) -> Any:
                if g.user is None:
                    session.pop("sid", None)
                    return redirect(url_for("login"))
                if admin and not g.user.is_admin:
                    store.audit("refused", actor=g.user.username, detail=f"admin-only page {request.endpoint}")
                    abort(403)
                return view(*args, **kwargs)
            return wrapped
        return decorator

    def find_request(reference: str) -> Any:
        canonical = normalize_reference(reference, settings.intake.reference_prefix)
        found = store.get(canonical) if canonical else None
        if found is None:
            abort(404)
        return found

    # ------------------------------------------------------------------ login

    @app.get("/health")
    def health() -> str:
        return "ok"

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "POST":
            check = accounts.check_password(store, request.form.get("username", ""), request.form.get("password", ""),
                                            max_attempts=settings.desk.lockout_attempts, lockout=lockout)
            if check.user is not None:
                session.clear()
                session["pending"] = check.user.id
                session["pending_at"] = datetime.now(timezone.utc).timestamp()
                return redirect(url_for("second_factor"))
            if check.locked:
                flash(f"Too many failed attempts: this account is locked for {settings.desk.lockout_minutes} "
                      "minutes.")
            else:
                flash("Wrong user name or password.")
            return render_template("login.html"), 401
        return render_template("login.html")

    @app.route("/login/code", methods=["GET", "POST"])
    def second_factor() -> Any:
        pending = session.get("pending")
        started = session.get("pending_at", 0)
        if pending is None or datetime.now(timezone.utc).timestamp() - started > 300:
            session.clear()
            return redirect(url_for("login"))
        if request.method == "POST":
            user = accounts.user_by_id(store, pending)
            if user is not None and not user.disabled and accounts.check_second_factor(
                    store, user, request.form.get("code", ""), max_attempts=settings.desk.lockout_attempts,
                    lockout=lockout):
                session.clear()
                session.permanent = True
                session["sid"] = accounts.open_session(store, user)
                return redirect(url_for("inbox"))
            flash("That code is not right. Use the current code of your authenticator app.")
            return render_template("code.html"), 401
        return render_template("code.html")

    @app.post("/logout")
    def logout() -> Any:
        if g.user is not None:
            store.audit("logout", actor=g.user.username)
        accounts.close_session(store, session.get("sid"))
        session.clear()
        return redirect(url_for("login"))

    # ------------------------------------------------------------------ pages

    @app.get("/")
    @login_required()
    def inbox() -> str:
        view = request.args.get("view", "all")
        if view not in cases.FILTERS:
            view = "all"
        query = request.args.get("q", "")[:200]
        found = cases.inbox(store, view=view, username=g.user.username, query=query)
        store.audit("view-inbox", actor=g.user.username, count=len(found),
                    detail=f"filter={view}" + (" search" if query else ""))
        return render_template("inbox.html", requests=found, view=view, query=query)

    @app.get("/requests/<reference>")
    @login_required()
    def show(reference: str) -> str:
        found = find_request(reference)
        store.audit("view", actor=g.user.username, reference=found.reference, count=1)
        events = conversation_events(tracker_url, found.conversation_id, store.cipher)
        return render_template("request.html", r=found, notes=cases.notes(store, found.reference),
                               history=cases.history(store, found.reference), transcript=transcript(events),
                               users=[u.username for u in accounts.list_users(store) if not u.disabled])

    @app.post("/requests/<reference>/assign")
    @login_required()
    def assign(reference: str) -> Any:
        found = find_request(reference)
        assignee = request.form.get("assignee", "").strip()
        if assignee == "me":
            assignee = g.user.username
        if assignee and accounts.find_user(store, assignee) is None:
            abort(400)
        cases.assign(store, found.reference, assignee or None, g.user.username)
        flash(f"Assigned to {assignee}." if assignee else "No longer assigned.")
        return redirect(url_for("show", reference=found.reference))

    @app.post("/requests/<reference>/notes")
    @login_required()
    def add_note(reference: str) -> Any:
        found = find_request(reference)
        text = request.form.get("text", "").strip()[:5000]
        if text:
            cases.add_note(store, found.reference, text, g.user.username)
            flash("Note added.")
        return redirect(url_for("show", reference=found.reference))

    @app.post("/requests/<reference>/handled")
    @login_required()
    def handled(reference: str) -> Any:
        found = find_request(reference)
        if found.status != STATUS_HANDLED:
            store.mark_handled(found.reference)
            store.audit("handled", actor=g.user.username, reference=found.reference, count=1)
        flash("Marked as handled.")
        return redirect(url_for("show", reference=found.reference))

    @app.get("/requests/<reference>/export")
    @login_required(admin=True)
    def export_one(reference: str) -> Response:
        found = find_request(reference)
        record = found.as_record()
        record["notes"] = [{"author": n.author, "at": n.at.isoformat(), "text": n.text}
                           for n in cases.notes(store, found.reference)]
        record["conversation"] = conversation_events(tracker_url, found.conversation_id, store.cipher)
        store.audit("export", actor=g.user.username, reference=found.reference, count=1)
        return Response(json.dumps(record, ensure_ascii=False, indent=2), mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{found.reference}.json"'})

    @app.get("/export")
    @login_required(admin=True)
    def export_all() -> Response:
        records = [r.as_record() for r in store.list(limit=None)]
        store.audit("export", actor=g.user.username, count=len(records))
        return Response(json.dumps(records, ensure_ascii=False, indent=2), mimetype="application/json",
                        headers={"Content-Disposition": 'attachment; filename="requests.json"'})

    @app.post("/requests/<reference>/erase")
    @login_required(admin=True)
    def erase(reference: str) -> Any:
        found = find_request(reference)
        if request.form.get("confirm") != found.reference:
            flash("To erase, type the reference exactly.")
            return redirect(url_for("show", reference=found.reference))
        store.erase(reference=found.reference, source="desk", actor=g.user.username)
        erase_conversation(tracker_url, found.conversation_id)
        flash("The request and its conversation were erased.")
        return redirect(url_for("inbox"))

    @app.post("/purge")
    @login_required(admin=True)
    def purge() -> Any:
        days = settings.intake.retention_days
        purged = store.purge_older_than(days, source="desk", actor=g.user.username)
        events = purge_conversations(tracker_url, days)
        flash(f"Purged {purged} request(s) and {events} conversation event(s) older than {days} days.")
        return redirect(url_for("audit"))

    @app.get("/audit")
    @login_required(admin=True)
    def audit() -> str:
        lines = store.audit_log(limit=500)
        store.audit("view-audit", actor=g.user.username, count=len(lines))
        return render_template("audit.html", lines=lines, retention_days=settings.intake.retention_days)

    return app

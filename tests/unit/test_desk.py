"""The desk over real HTTP (waitress on a loopback port), on a real SQLite intake database:
login with password and TOTP, roles, CSRF, lockout, escaping, logout, audit without personal data.
tests/e2e/test_desk_browser.py drives it with Chromium next to the whole assistant."""
from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, replace
from typing import Iterator, Optional

import pyotp
import pytest
from waitress import create_server

from desk import accounts
from desk.app import create_app
from firm import Settings
from intake.store import SqlIntakeStore, open_store
from tests.intake_support import free_port, make_request

PASSWORD = "correct horse battery staple"


@dataclass
class Response:
    status: int
    body: str
    url: str
    headers: dict


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects by itself."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path: str, data: Optional[dict] = None) -> Response:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=10) as answer:
                return Response(answer.status, answer.read().decode(), answer.url, dict(answer.headers))
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode(), error.url, dict(error.headers))

    def get(self, path: str) -> Response:
        return self.request(path)

    def csrf(self, path: str) -> str:
        page = self.get(path)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.body)
        assert match, f"no CSRF token on {path}: {page.status}"
        return match.group(1)

    def post(self, path: str, data: dict, form_page: Optional[str] = None) -> Response:
        return self.request(path, {"csrf_token": self.csrf(form_page or path), **data})

    def login(self, username: str, password: str, secret: str) -> Response:
        first = self.post("/login", {"username": username, "password": password})
        assert first.status == 302 and first.headers["Location"].endswith("/login/code"), first.body
        return self.post("/login/code", {"code": pyotp.TOTP(secret).now()})


@pytest.fixture
def desk(intake_database_url: str, intake_settings: Settings) -> Iterator[tuple[str, SqlIntakeStore]]:
    settings = replace(intake_settings, desk=replace(intake_settings.desk, secure_cookies=False))
    store = open_store(intake_database_url, settings)
    app = create_app(store, settings, key="test-signing-key", tracker_database_url="sqlite:////nonexistent/t.db")
    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", store
    server.close()
    thread.join(5)
    store.close()


def secret_of(enrolment: accounts.Enrolment) -> str:
    return pyotp.parse_uri(enrolment.uri).secret


def logged_in(desk: tuple[str, SqlIntakeStore], role: str = "lawyer",
              username: str = "lena") -> tuple[Browser, SqlIntakeStore]:
    """A browser logged in (password and TOTP) as a new user with this role."""
    base, store = desk
    secret = secret_of(accounts.add_user(store, username, role, PASSWORD))
    browser = Browser(base)
    browser.login(username, PASSWORD, secret)
    return browser, store


def test_login_needs_the_password_and_the_totp_code_and_sets_a_safe_cookie(desk: tuple[str, SqlIntakeStore]) -> None:
    base, store = desk
    secret = secret_of(accounts.add_user(store, "lena", "lawyer", PASSWORD))
    browser = Browser(base)
    assert browser.get("/").status == 302                      # not logged in: to the login page
    first = browser.post("/login", {"username": "lena", "password": PASSWORD})
    assert first.status == 302
    assert browser.get("/").status == 302                      # the password alone does not open the desk
    wrong = browser.post("/login/code", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status == 401
    done = browser.post("/login/code", {"code": pyotp.TOTP(secret).now()})
    assert done.status == 302
    cookie = done.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    inbox = browser.get("/")
    assert inbox.status == 200 and "Inbox" in inbox.body
    policy = inbox.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "frame-ancestors 'none'" in policy
    assert [line["action"] for line in store.audit_log()][:2] == ["view-inbox", "login"]


def test_secure_cookies_are_the_default(intake_settings: Settings) -> None:
    assert intake_settings.desk.secure_cookies is True


def test_a_lawyer_assigns_notes_and_handles_but_may_not_erase_or_export(desk: tuple[str, SqlIntakeStore]) -> None:
    browser, store = logged_in(desk)
    reference = store.submit(make_request(problem_type="detained_now")).reference
    page = f"/requests/{reference}"
    assert browser.post(f"{page}/assign", {"assignee": "me"}, form_page=page).status == 302
    assert browser.post(f"{page}/notes", {"text": "Called the family."}, form_page=page).status == 302
    assert browser.post(f"{page}/handled", {}, form_page=page).status == 302
    shown = browser.get(page).body
    assert "Called the family." in shown and 'id="assigned">lena<' in shown and 'id="status">handled<' in shown
    mine = browser.get("/?view=mine").body
    assert reference in mine
    assert browser.get(f"{page}/export").status == 403
    assert browser.get("/export").status == 403
    assert browser.get("/audit").status == 403
    assert browser.post(f"{page}/erase", {"confirm": reference}, form_page=page).status == 403
    assert store.get(reference) is not None
    actions = [line["action"] for line in store.audit_log()]
    for action in ("assign", "note", "handled", "view", "refused"):
        assert action in actions


def test_an_admin_exports_and_erases_and_sees_the_audit_log_without_personal_data(
        desk: tuple[str, SqlIntakeStore]) -> None:
    base, store = desk
    secret = secret_of(accounts.add_user(store, "ana", "admin", PASSWORD))
    request = make_request(full_name="Pyotr Petrov", email="pyotr@example.org")
    reference = store.submit(request).reference
    browser = Browser(base)
    browser.login("ana", PASSWORD, secret)
    exported = browser.get(f"/requests/{reference}/export")
    assert exported.status == 200 and "Pyotr Petrov" in exported.body
    page = f"/requests/{reference}"
    assert browser.post(f"{page}/erase", {"confirm": reference}, form_page=page).status == 302
    assert store.get(reference) is None
    audit = browser.get("/audit")
    assert audit.status == 200 and "export" in audit.body and "erasure" in audit.body
    lines = " ".join(str(line) for line in store.audit_log(limit=1000))
    for personal in ("Pyotr", "Petrov", "pyotr@example.org", reference, request.conversation_id):
        assert personal not in lines and personal not in audit.body


def test_a_form_posted_without_its_csrf_token_is_refused(desk: tuple[str, SqlIntakeStore]) -> None:
    base, store = desk
    secret = secret_of(accounts.add_user(store, "lena", "lawyer", PASSWORD))
    reference = store.submit(make_request()).reference
    browser = Browser(base)
    assert browser.request("/login", {"username": "lena", "password": PASSWORD}).status == 403
    browser.login("lena", PASSWORD, secret)
    assert browser.request(f"/requests/{reference}/handled", {}).status == 403
    assert browser.request(f"/requests/{reference}/handled", {"csrf_token": "forged"}).status == 403
    assert store.get(reference).status == "new"


def test_five_wrong_passwords_lock_the_account_and_are_logged(desk: tuple[str, SqlIntakeStore]) -> None:
    base, store = desk
    secret = secret_of(accounts.add_user(store, "lena", "lawyer", PASSWORD))
    browser = Browser(base)
    for _ in range(5):
        assert browser.post("/login", {"username": "lena", "password": "wrong password!"}).status == 401
    locked = browser.post("/login", {"username": "lena", "password": PASSWORD})
    assert locked.status == 401 and "locked" in locked.body
    assert accounts.find_user(store, "lena").locked_until is not None
    actions = [line["action"] for line in store.audit_log()]
    assert actions.count("login-failed") == 4 and "login-locked" in actions and "login-refused-locked" in actions
    accounts.reset_second_factor(store, "lena")                 # an admin lifts the lockout
    assert accounts.find_user(store, "lena").locked_until is None
    assert secret  # the old factor is replaced


def test_wrong_second_factor_codes_lock_the_account_too(desk: tuple[str, SqlIntakeStore]) -> None:
    base, store = desk
    secret = secret_of(accounts.add_user(store, "lena", "lawyer", PASSWORD))
    browser = Browser(base)
    assert browser.post("/login", {"username": "lena", "password": PASSWORD}).status == 302
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    for _ in range(5):
        assert browser.post("/login/code", {"code": wrong}).status == 401
    assert accounts.find_user(store, "lena").locked_until is not None
    assert browser.post("/login/code", {"code": pyotp.TOTP(secret).now()}).status == 401
    assert browser.get("/").status == 302


def test_what_a_person_typed_is_shown_as_text(desk: tuple[str, SqlIntakeStore]) -> None:
    browser, store = logged_in(desk)
    reference = store.submit(make_request(full_name="<script>alert(1)</script>")).reference
    for page in ("/", f"/requests/{reference}", "/?q=script"):
        body = browser.get(page).body
        assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_search_by_reference_name_or_email(desk: tuple[str, SqlIntakeStore]) -> None:
    browser, store = logged_in(desk)
    first = store.submit(make_request(full_name="Olga Smirnova", email="olga@example.net")).reference
    second = store.submit(make_request(full_name="Ivan Kuznetsov", email="ivan@example.net")).reference
    for query in ("smirnova", "olga@example.net", first.lower().replace("-", "")):
        body = browser.get("/?q=" + urllib.parse.quote(query)).body
        assert first in body and second not in body


def test_logging_out_ends_the_session_even_for_a_copied_cookie(desk: tuple[str, SqlIntakeStore]) -> None:
    browser, store = logged_in(desk)
    copied = [cookie for cookie in browser.jar]
    assert browser.post("/logout", {}, form_page="/").status == 302
    assert browser.get("/").status == 302
    replay = Browser(browser.base)
    for cookie in copied:
        replay.jar.set_cookie(cookie)
    assert replay.get("/").status == 302                      # the old cookie opens nothing
    assert "logout" in [line["action"] for line in store.audit_log()]


def test_a_disabled_account_cannot_log_in(desk: tuple[str, SqlIntakeStore]) -> None:
    browser, store = logged_in(desk)
    accounts.disable_user(store, "lena")
    assert browser.get("/").status == 302
    assert Browser(browser.base).post("/login", {"username": "lena", "password": PASSWORD}).status == 401

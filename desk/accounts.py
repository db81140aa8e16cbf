"""The desk's accounts: argon2 password hashes, a TOTP second factor, roles, lockout, sessions.

Used by the desk (login) and by the staff CLI (`python -m intake.admin user add|disable|reset-2fa`).
The TOTP secret is stored encrypted under the data key (intake.crypto); the session ids in the
database are SHA-256 hashes of the random ids the browsers hold, so a copied database opens no
session.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import pyotp
import qrcode
import qrcode.image.svg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from intake.records import utcnow
from intake.schema import desk_sessions_table, desk_users_table
from intake.store import SqlIntakeStore

ROLE_LAWYER = "lawyer"
ROLE_ADMIN = "admin"
ROLES = (ROLE_LAWYER, ROLE_ADMIN)
ISSUER = "Intake desk"
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()
# Verified against when the user does not exist, so that the answer takes as long either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(Exception):
    """A user command could not be done; the message is shown to the user."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    disabled: bool
    failed_logins: int
    locked_until: Optional[datetime]

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN


@dataclass(frozen=True)
class Enrolment:
    """What a new second factor needs: the otpauth URI (also as a QR code, SVG)."""

    username: str
    uri: str

    def qr_svg(self) -> bytes:
        image = qrcode.make(self.uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
        buffer = io.BytesIO()
        image.save(buffer)
        return buffer.getvalue()


def _user(row: object) -> User:
    return User(id=row["id"], username=row["username"], role=row["role"], disabled=row["disabled"],  # type: ignore[index]
                failed_logins=row["failed_logins"], locked_until=row["locked_until"])  # type: ignore[index]


def _check_username(username: str) -> str:
    username = username.strip()
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-@" for c in username):
        raise AccountError("A user name is 1 to 64 letters, digits, '.', '_', '-' or '@'.")
    return username


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")


def _enrolment(username: str, secret: str) -> Enrolment:
    return Enrolment(username, pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER))


def add_user(store: SqlIntakeStore, username: str, role: str, password: str) -> Enrolment:
    """Create an account; returns the second factor to enrol."""
    username = _check_username(username)
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.")
    check_password_strength(password)
    secret = pyotp.random_base32()
    try:
        with store._begin() as connection:
            connection.execute(insert(desk_users_table).values(
                username=username, role=role, password_hash=_hasher.hash(password),
                totp_secret=store.cipher.encrypt(secret), disabled=False, failed_logins=0, created_at=utcnow()))
            store._audit(connection, "user-add", "admin", 0, f"role={role}", actor="admin", target=None)
    except IntegrityError as error:
        raise AccountError(f"There is already a user {username}.") from error
    return _enrolment(username, secret)


def find_user(store: SqlIntakeStore, username: str) -> Optional[User]:
    store.ensure_schema()
    with store.engine.connect() as connection:
        row = connection.execute(select(desk_users_table).where(
            desk_users_table.c.username == username.strip())).mappings().first()
    return _user(row) if row else None


def user_by_id(store: SqlIntakeStore, user_id: int) -> Optional[User]:
    store.ensure_schema()
    with store.engine.connect() as connection:
        row = connection.execute(select(desk_users_table).where(desk_users_table.c.id == user_id)).mappings().first()
    return _user(row) if row else None


def list_users(store: SqlIntakeStore) -> list[User]:
    store.ensure_schema()
    with store.engine.connect() as connection:
        return [_user(row) for row in connection.execute(
            select(desk_users_table).order_by(desk_users_table.c.username)).mappings()]


def _require(store: SqlIntakeStore, username: str) -> User:
    user = find_user(store, username)
    if user is None:
        raise AccountError(f"No user {username}.")
    return user


def disable_user(store: SqlIntakeStore, username: str) -> None:
    """Disable an account and end its sessions."""
    user = _require(store, username)
    with store._begin() as connection:
        connection.execute(update(desk_users_table).where(desk_users_table.c.id == user.id).values(disabled=True))
        connection.execute(delete(desk_sessions_table).where(desk_sessions_table.c.user_id == user.id))
        store._audit(connection, "user-disable", "admin", 0, None, actor="admin")


def reset_second_factor(store: SqlIntakeStore, username: str) -> Enrolment:
    """A new TOTP secret (the old authenticator stops working), sessions ended, lockout lifted."""
    user = _require(store, username)
    secret = pyotp.random_base32()
    with store._begin() as connection:
        connection.execute(update(desk_users_table).where(desk_users_table.c.id == user.id).values(
            totp_secret=store.cipher.encrypt(secret), failed_logins=0, locked_until=None))
        connection.execute(delete(desk_sessions_table).where(desk_sessions_table.c.user_id == user.id))
        store._audit(connection, "user-reset-2fa", "admin", 0, None, actor="admin")
    return _enrolment(user.username, secret)


# --------------------------------------------------------------------------- login

@dataclass(frozen=True)
class PasswordCheck:
    user: Optional[User]
    locked: bool = False


def _record_failure(store: SqlIntakeStore, user: User, reason: str, *, max_attempts: int, lockout: timedelta,
                    now: datetime) -> bool:
    """Count one failed attempt (password or code); locks the account at ``max_attempts``. True if locked."""
    with store.engine.connect() as connection:
        failures = connection.execute(select(desk_users_table.c.failed_logins).where(
            desk_users_table.c.id == user.id)).scalar_one() + 1
    values: dict[str, object] = {"failed_logins": failures}
    locked = failures >= max_attempts
    if locked:
        values.update(failed_logins=0, locked_until=now + lockout)
    with store._begin() as connection:
        connection.execute(update(desk_users_table).where(desk_users_table.c.id == user.id).values(**values))
        store._audit(connection, "login-locked" if locked else "login-failed", "desk", 0,
                     f"{reason}, failed_attempts={failures}", actor=user.username)
    return locked


def check_password(store: SqlIntakeStore, username: str, password: str, *, max_attempts: int,
                   lockout: timedelta, now: Optional[datetime] = None) -> PasswordCheck:
    """The user when the password is right and the account usable; counts failures and locks
    the account after ``max_attempts`` of them (audited)."""
    now = now or utcnow()
    user = find_user(store, username) if username.strip() else None
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        store.audit("login-failed", actor="-", detail="unknown user")
        return PasswordCheck(None)
    if user.locked_until is not None and user.locked_until > now:
        store.audit("login-refused-locked", actor=user.username)
        return PasswordCheck(None, locked=True)
    with store.engine.connect() as connection:
        password_hash = connection.execute(select(desk_users_table.c.password_hash).where(
            desk_users_table.c.id == user.id)).scalar_one()
    try:
        _hasher.verify(password_hash, password)
        good = True
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        good = False
    if not good:
        return PasswordCheck(None, locked=_record_failure(store, user, "wrong password", max_attempts=max_attempts,
                                                          lockout=lockout, now=now))
    if user.disabled:
        store.audit("login-refused-disabled", actor=user.username)
        return PasswordCheck(None)
    if _hasher.check_needs_rehash(password_hash):
        with store._begin() as connection:
            connection.execute(update(desk_users_table).where(desk_users_table.c.id == user.id)
                               .values(password_hash=_hasher.hash(password)))
    return PasswordCheck(user)


def check_second_factor(store: SqlIntakeStore, user: User, code: str, *, max_attempts: int = 5,
                        lockout: timedelta = timedelta(minutes=15)) -> bool:
    """Whether ``code`` is the user's current TOTP code (one step of clock drift allowed). Wrong
    codes count towards the lockout like wrong passwords, so the code cannot be guessed either."""
    current = user_by_id(store, user.id)
    now = utcnow()
    if current is None or current.disabled or (current.locked_until is not None and current.locked_until > now):
        store.audit("login-refused-locked", actor=user.username)
        return False
    with store.engine.connect() as connection:
        secret = connection.execute(select(desk_users_table.c.totp_secret).where(
            desk_users_table.c.id == user.id)).scalar_one()
    good = pyotp.TOTP(store._open(secret)).verify(code.strip().replace(" ", ""), valid_window=1)
    if good:
        with store._begin() as connection:
            connection.execute(update(desk_users_table).where(desk_users_table.c.id == user.id)
                               .values(failed_logins=0, locked_until=None))
            store._audit(connection, "login", "desk", 0, None, actor=user.username)
    else:
        _record_failure(store, user, "wrong second-factor code", max_attempts=max_attempts, lockout=lockout, now=now)
    return good


def _session_key(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def open_session(store: SqlIntakeStore, user: User) -> str:
    """A new random session id for the cookie; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with store._begin() as connection:
        connection.execute(insert(desk_sessions_table).values(id=_session_key(token), user_id=user.id,
                                                              created_at=now, last_seen=now))
    return token


def session_user(store: SqlIntakeStore, token: Optional[str], *, max_age: timedelta) -> Optional[User]:
    """The user of a live session, or None (ended, expired, or the account disabled)."""
    if not token:
        return None
    now = utcnow()
    store.ensure_schema()
    with store.engine.connect() as connection:
        row = connection.execute(select(desk_sessions_table).where(
            desk_sessions_table.c.id == _session_key(token))).mappings().first()
    if row is None or row["created_at"] + max_age < now:
        return None
    user = user_by_id(store, row["user_id"])
    if user is None or user.disabled:
        return None
    return user


def close_session(store: SqlIntakeStore, token: Optional[str]) -> None:
    if not token:
        return
    with store._begin() as connection:
        connection.execute(delete(desk_sessions_table).where(desk_sessions_table.c.id == _session_key(token)))

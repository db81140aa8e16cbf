"""Load and check the firm's settings (firm.yml) into frozen dataclasses.

Why: the firm's details, the intake options and the notification channels live in ONE
file that the firm edits, not in code. Loading it fails early with every problem
listed at once, so a typo is found at start-up rather than when the first person
asks for help. A few environment variables override values so that tests and
deployments can switch databases or channels without editing the file.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

PROJECT_ROOT: Path = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_PATH: Path = PROJECT_ROOT / "firm.yml"

logger = logging.getLogger(__name__)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """firm.yml (or an override) is missing, unreadable or has invalid values."""


@dataclass(frozen=True)
class FirmDetails:
    """How people reach the firm; shown to people and in messages."""

    name: str
    phone: str
    emergency_phone: str
    email: str
    office_hours: str
    website: str
    example_values: bool


@dataclass(frozen=True)
class PrivacyNotice:
    """The notice a person agrees to; its version is stored with each consent."""

    url: str
    version: str


@dataclass(frozen=True)
class Language:
    """A language a person may ask to be contacted in."""

    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class ProblemType:
    """A kind of problem; ``urgent`` ones are flagged as a priority for the lawyers."""

    id: str
    label: str
    urgent: bool
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntakeSettings:
    """Where requests are kept, for how long, and the vocabularies used to validate input."""

    database_url: str
    tracker_database_url: Optional[str]
    retention_days: int
    spool_dir: Path
    reference_prefix: str
    skip_words: tuple[str, ...]
    languages: tuple[Language, ...]
    problem_types: tuple[ProblemType, ...]
    clear_yes_confidence: float


@dataclass(frozen=True)
class EmailSettings:
    """SMTP delivery of new-request summaries to the lawyers' mailbox."""

    enabled: bool
    smtp_host: str
    smtp_port: int
    starttls: bool
    from_address: str
    to: tuple[str, ...]
    username_env: Optional[str]
    password_env: Optional[str]


@dataclass(frozen=True)
class SlackWebhookSettings:
    """Slack incoming-webhook delivery; the URL is a secret read from ``url_env``."""

    enabled: bool
    url_env: str


@dataclass(frozen=True)
class RetrySettings:
    """Exponential backoff for failed deliveries."""

    max_attempts: int
    base_delay_seconds: float
    max_delay_seconds: float


@dataclass(frozen=True)
class NotificationSettings:
    """All notification channels plus how the outbox worker retries and polls."""

    email: EmailSettings
    slack_webhook: SlackWebhookSettings
    retry: RetrySettings
    poll_seconds: float
    # False (the default): notifications carry no personal data, only the reference, the URGENT
    # mark, the problem type and a link to the desk. True: the full lawyer summary.
    include_summary: bool = False

    def enabled_channels(self) -> tuple[str, ...]:
        """Names of the channels that get an outbox row for each new request."""
        channels = []
        if self.email.enabled:
            channels.append("email")
        if self.slack_webhook.enabled:
            channels.append("slack")
        return tuple(channels)


@dataclass(frozen=True)
class DeskSettings:
    """The firm's staff web application (desk/)."""

    public_url: str = "http://127.0.0.1:8090"
    port: int = 8090
    # False only for a desk reached over plain http://127.0.0.1 (development, tests).
    secure_cookies: bool = True
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    session_hours: float = 8


# The languages the assistant can hold a conversation in (docs/languages.md). Each needs its
# translations (locales/<code>.yml) and training examples (data/nlu/<code>/).
SUPPORTED_LANGUAGES = ("en", "uk", "ru", "tr", "ar", "es", "fr", "de")


@dataclass(frozen=True)
class ConversationSettings:
    """Which languages the assistant speaks; the first is the one it starts in."""

    languages: tuple[str, ...] = ("en",)
    # A message shorter than this many letters ("ok", "да") keeps the conversation's language.
    min_letters_to_switch: int = 12

    @property
    def default_language(self) -> str:
        return self.languages[0]


@dataclass(frozen=True)
class Settings:
    """Everything read from firm.yml, after environment overrides."""

    firm: FirmDetails
    privacy_notice: PrivacyNotice
    intake: IntakeSettings
    notifications: NotificationSettings
    desk: DeskSettings = field(default_factory=DeskSettings)
    conversation: ConversationSettings = field(default_factory=ConversationSettings)
    source: Path = field(default=DEFAULT_SETTINGS_PATH)

    def problem_type(self, problem_id: str) -> Optional[ProblemType]:
        """The configured problem type with this id, or None."""
        for problem in self.intake.problem_types:
            if problem.id == problem_id:
                return problem
        return None


def resolve_database_url(url: str, root: Path = PROJECT_ROOT) -> str:
    """Make relative sqlite paths absolute (relative to the project root).

    Why: Rasa, the action server and the admin CLI start from different working
    directories; they must all open the same file. ``postgres://`` is also rewritten to
    ``postgresql://`` because SQLAlchemy 1.4 no longer accepts the short form.
    """
    url = url.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    prefix = "sqlite:///"
    if url.startswith(prefix):
        rest = url[len(prefix):]
        if rest and not rest.startswith("/") and not rest.startswith(":memory:"):
            path_part, sep, query = rest.partition("?")
            absolute = (root / path_part).resolve()
            url = f"sqlite:///{absolute}{sep}{query}"
    return url


def _parse_bool(value: str, name: str, problems: list[str]) -> Optional[bool]:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    problems.append(f"{name}={value!r}: expected true or false.")
    return None


class _Reader:
    """Reads typed values from nested mappings, collecting every problem found."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def section(self, data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
        value = data.get(key)
        if not isinstance(value, Mapping):
            self.problems.append(f"{where}{key}: missing or not a section.")
            return {}
        return value

    def text(self, data: Mapping[str, Any], key: str, where: str, *, optional: bool = False,
             default: Optional[str] = None) -> str:
        value = data.get(key, default)
        if value is None and optional:
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or (not value.strip() and not optional):
            self.problems.append(f"{where}{key}: must be a non-empty text.")
            return ""
        return value.strip()

    def flag(self, data: Mapping[str, Any], key: str, where: str, default: Optional[bool] = None) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problems.append(f"{where}{key}: must be true or false.")
            return False
        return value

    def number(self, data: Mapping[str, Any], key: str, where: str, *, minimum: float,
               maximum: Optional[float] = None, integer: bool = False,
               default: Optional[float] = None) -> float:
        value = data.get(key, default)
        ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
        if (isinstance(value, bool) or not ok_type or value < minimum
                or (maximum is not None and value > maximum)):
            kind = "a whole number" if integer else "a number"
            bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
            self.problems.append(f"{where}{key}: must be {kind} {bounds}.")
            return minimum
        return value

    def text_list(self, data: Mapping[str, Any], key: str, where: str, *, allow_empty: bool = True,
                  default: Optional[list[str]] = None) -> tuple[str, ...]:
        value = data.get(key, default)
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            self.problems.append(f"{where}{key}: must be a list of texts.")
            return ()
        if not value and not allow_empty:
            self.problems.append(f"{where}{key}: must list at least one value.")
        return tuple(str(v).strip() for v in value if str(v).strip())


def _read_languages(reader: _Reader, intake: Mapping[str, Any]) -> tuple[Language, ...]:
    raw = intake.get("languages")
    if not isinstance(raw, list) or not raw:
        reader.problems.append("intake.languages: must be a non-empty list of {name, aliases}.")
        return ()
    languages = []
    for index, item in enumerate(raw):
        where = f"intake.languages[{index}]."
        if not isinstance(item, Mapping):
            reader.problems.append(f"{where}: must be a mapping with name and aliases.")
            continue
        name = reader.text(item, "name", where)
        aliases = reader.text_list(item, "aliases", where, default=[])
        languages.append(Language(name=name, aliases=tuple(a.casefold() for a in aliases)))
    return tuple(languages)


def _read_problem_types(reader: _Reader, intake: Mapping[str, Any]) -> tuple[ProblemType, ...]:
    raw = intake.get("problem_types")
    if not isinstance(raw, list) or not raw:
        reader.problems.append("intake.problem_types: must be a non-empty list of {id, label, urgent}.")
        return ()
    problems = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"intake.problem_types[{index}]."
        if not isinstance(item, Mapping):
            reader.problems.append(f"{where}: must be a mapping with id, label and urgent.")
            continue
        problem_id = reader.text(item, "id", where)
        if problem_id in seen:
            reader.problems.append(f"{where}id: {problem_id!r} is listed twice.")
        seen.add(problem_id)
        problems.append(ProblemType(
            id=problem_id,
            label=reader.text(item, "label", where),
            urgent=reader.flag(item, "urgent", where),
            aliases=tuple(a.casefold() for a in reader.text_list(item, "aliases", where, default=[])),
        ))
    return tuple(problems)


def _apply_env(data: dict[str, Any], environ: Mapping[str, str], problems: list[str]) -> None:
    """Apply the documented environment overrides onto the raw mapping, in place."""
    def section(parent: dict[str, Any], key: str) -> dict[str, Any]:
        # A missing or malformed section is reported later by parse_settings; overrides
        # then go to a throwaway mapping.
        value = parent.get(key)
        return value if isinstance(value, dict) else {}

    intake = section(data, "intake")
    notifications = section(data, "notifications")
    email = section(notifications, "email")
    slack = section(notifications, "slack_webhook")
    if environ.get("DATABASE_URL"):
        intake["database_url"] = environ["DATABASE_URL"]
    if environ.get("TRACKER_DATABASE_URL"):
        intake["tracker_database_url"] = environ["TRACKER_DATABASE_URL"]
    if "NOTIFY_EMAIL_ENABLED" in environ:
        email["enabled"] = _parse_bool(environ["NOTIFY_EMAIL_ENABLED"], "NOTIFY_EMAIL_ENABLED", problems)
    if environ.get("NOTIFY_SMTP_HOST"):
        email["smtp_host"] = environ["NOTIFY_SMTP_HOST"]
    if environ.get("NOTIFY_SMTP_PORT"):
        try:
            email["smtp_port"] = int(environ["NOTIFY_SMTP_PORT"])
        except ValueError:
            problems.append(f"NOTIFY_SMTP_PORT={environ['NOTIFY_SMTP_PORT']!r}: expected a port number.")
    if "NOTIFY_SLACK_ENABLED" in environ:
        slack["enabled"] = _parse_bool(environ["NOTIFY_SLACK_ENABLED"], "NOTIFY_SLACK_ENABLED", problems)
    if "desk" in data and not isinstance(data["desk"], dict):
        return
    desk = data.setdefault("desk", {})
    if environ.get("DESK_PUBLIC_URL"):
        desk["public_url"] = environ["DESK_PUBLIC_URL"]
    if environ.get("DESK_PORT"):
        try:
            desk["port"] = int(environ["DESK_PORT"])
        except ValueError:
            problems.append(f"DESK_PORT={environ['DESK_PORT']!r}: expected a port number.")
    if "DESK_SECURE_COOKIES" in environ:
        desk["secure_cookies"] = _parse_bool(environ["DESK_SECURE_COOKIES"], "DESK_SECURE_COOKIES", problems)


def parse_settings(data: Mapping[str, Any], *, source: Path = DEFAULT_SETTINGS_PATH,
                   environ: Optional[Mapping[str, str]] = None, root: Path = PROJECT_ROOT) -> Settings:
    """Build Settings from an already-parsed mapping (plus environment overrides).

    Raises SettingsError listing every problem, so they can all be fixed in one go.
    """
    environ = os.environ if environ is None else environ
    if not isinstance(data, Mapping):
        raise SettingsError(f"{source}: expected a YAML mapping at the top level.")
    raw: dict[str, Any] = _deep_copy(data)
    reader = _Reader()
    _apply_env(raw, environ, reader.problems)

    firm = reader.section(raw, "firm", "")
    firm_details = FirmDetails(
        name=reader.text(firm, "name", "firm."),
        phone=reader.text(firm, "phone", "firm."),
        emergency_phone=reader.text(firm, "emergency_phone", "firm."),
        email=reader.text(firm, "email", "firm."),
        office_hours=reader.text(firm, "office_hours", "firm."),
        website=reader.text(firm, "website", "firm."),
        example_values=reader.flag(firm, "example_values", "firm.", default=False),
    )
    notice = reader.section(raw, "privacy_notice", "")
    privacy = PrivacyNotice(url=reader.text(notice, "url", "privacy_notice."),
                            version=reader.text(notice, "version", "privacy_notice."))

    intake = reader.section(raw, "intake", "")
    tracker = intake.get("tracker_database_url")
    if tracker is not None and (not isinstance(tracker, str)):
        reader.problems.append("intake.tracker_database_url: must be a text or left out.")
        tracker = None
    prefix = reader.text(intake, "reference_prefix", "intake.", default="IC")
    if prefix and not (prefix.isascii() and prefix.isalnum() and len(prefix) <= 6):
        reader.problems.append("intake.reference_prefix: use up to 6 letters or digits, like IC.")
    intake_settings = IntakeSettings(
        database_url=resolve_database_url(reader.text(intake, "database_url", "intake."), root),
        tracker_database_url=resolve_database_url(tracker, root) if tracker and tracker.strip() else None,
        retention_days=int(reader.number(intake, "retention_days", "intake.", minimum=1, integer=True)),
        spool_dir=(root / reader.text(intake, "spool_dir", "intake.", default=".run/spool")).resolve(),
        reference_prefix=prefix.upper(),
        skip_words=tuple(w.casefold() for w in reader.text_list(
            intake, "skip_words", "intake.", default=["skip", "no", "none"])),
        languages=_read_languages(reader, intake),
        problem_types=_read_problem_types(reader, intake),
        clear_yes_confidence=float(reader.number(intake, "clear_yes_confidence", "intake.",
                                                 minimum=0, maximum=1, default=0.9)),
    )
    required_ids = {"red_notice", "diffusion", "extradition_request", "detained_now", "other"}
    missing_ids = required_ids - {p.id for p in intake_settings.problem_types}
    if intake_settings.problem_types and missing_ids:
        reader.problems.append(
            "intake.problem_types: the assistant needs these ids: " + ", ".join(sorted(missing_ids)) + ".")

    notifications = reader.section(raw, "notifications", "")
    email = reader.section(notifications, "email", "notifications.")
    email_settings = EmailSettings(
        enabled=reader.flag(email, "enabled", "notifications.email."),
        smtp_host=reader.text(email, "smtp_host", "notifications.email."),
        smtp_port=int(reader.number(email, "smtp_port", "notifications.email.", minimum=1, maximum=65535,
                                    integer=True)),
        starttls=reader.flag(email, "starttls", "notifications.email.", default=False),
        from_address=reader.text(email, "from", "notifications.email."),
        to=reader.text_list(email, "to", "notifications.email.", allow_empty=not email.get("enabled")),
        username_env=reader.text(email, "username_env", "notifications.email.", optional=True) or None,
        password_env=reader.text(email, "password_env", "notifications.email.", optional=True) or None,
    )
    slack = reader.section(notifications, "slack_webhook", "notifications.")
    slack_settings = SlackWebhookSettings(
        enabled=reader.flag(slack, "enabled", "notifications.slack_webhook."),
        url_env=reader.text(slack, "url_env", "notifications.slack_webhook.", default="FIRM_SLACK_WEBHOOK_URL"),
    )
    retry = reader.section(notifications, "retry", "notifications.")
    retry_settings = RetrySettings(
        max_attempts=int(reader.number(retry, "max_attempts", "notifications.retry.", minimum=1, integer=True)),
        base_delay_seconds=float(reader.number(retry, "base_delay_seconds", "notifications.retry.", minimum=0)),
        max_delay_seconds=float(reader.number(retry, "max_delay_seconds", "notifications.retry.", minimum=0)),
    )
    poll = float(reader.number(notifications, "poll_seconds", "notifications.", minimum=0.01, default=5))
    include_summary = reader.flag(notifications, "include_summary", "notifications.", default=False)

    desk = reader.section(raw, "desk", "") if "desk" in raw else {}
    desk_settings = DeskSettings(
        public_url=reader.text(desk, "public_url", "desk.", default=DeskSettings.public_url),
        port=int(reader.number(desk, "port", "desk.", minimum=1, maximum=65535, integer=True,
                               default=DeskSettings.port)),
        secure_cookies=reader.flag(desk, "secure_cookies", "desk.", default=True),
        lockout_attempts=int(reader.number(desk, "lockout_attempts", "desk.", minimum=1, integer=True,
                                           default=DeskSettings.lockout_attempts)),
        lockout_minutes=int(reader.number(desk, "lockout_minutes", "desk.", minimum=1, integer=True,
                                          default=DeskSettings.lockout_minutes)),
        session_hours=float(reader.number(desk, "session_hours", "desk.", minimum=0.1,
                                          default=DeskSettings.session_hours)),
    )

    conversation = reader.section(raw, "conversation", "") if "conversation" in raw else {}
    languages = tuple(str(code) for code in reader.text_list(conversation, "languages", "conversation.",
                                                            allow_empty=False, default=["en"]))
    unknown = [code for code in languages if code not in SUPPORTED_LANGUAGES]
    if unknown:
        reader.problems.append(f"conversation.languages: {', '.join(unknown)} not supported; "
                               f"the assistant knows {', '.join(SUPPORTED_LANGUAGES)}.")
    conversation_settings = ConversationSettings(
        languages=tuple(dict.fromkeys(languages)),
        min_letters_to_switch=int(reader.number(conversation, "min_letters_to_switch", "conversation.",
                                                minimum=1, integer=True,
                                                default=ConversationSettings.min_letters_to_switch)),
    )

    if reader.problems:
        raise SettingsError(f"{source} has problems:\n  - " + "\n  - ".join(reader.problems))
    return Settings(
        firm=firm_details,
        privacy_notice=privacy,
        intake=intake_settings,
        notifications=NotificationSettings(email=email_settings, slack_webhook=slack_settings,
                                           retry=retry_settings, poll_seconds=poll,
                                           include_summary=include_summary),
        desk=desk_settings,
        conversation=conversation_settings,
        source=source,
    )


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def settings_path(environ: Optional[Mapping[str, str]] = None) -> Path:
    """The settings file to read: env FIRM_SETTINGS, else firm.yml in the project root."""
    environ = os.environ if environ is None else environ
    override = environ.get("FIRM_SETTINGS")
    return Path(override).expanduser().resolve() if override else DEFAULT_SETTINGS_PATH


def load_settings(path: Optional[Path | str] = None, environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Read and check a settings file (default: FIRM_SETTINGS or firm.yml)."""
    source = Path(path).resolve() if path else settings_path(environ)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise SettingsError(f"Cannot read the firm's settings file {source}: {error.strerror or error}.") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SettingsError(f"{source} is not valid YAML: {error}") from error
    return parse_settings(data or {}, source=source, environ=environ)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings for this process, read once. Call ``get_settings.cache_clear()`` to re-read."""
    return load_settings()


def response_variables(settings: Optional[Settings] = None) -> dict[str, str]:
    """The firm's details as the {placeholders} of domain.yml's replies: one mapping for the
    action server's replies and for the Rasa server's own apology when actions fail."""
    settings = settings or get_settings()
    firm = settings.firm
    return {
        "firm_name": firm.name,
        "firm_phone": firm.phone,
        "firm_email": firm.email,
        "emergency_phone": firm.emergency_phone,
        "office_hours": firm.office_hours,
        "privacy_url": settings.privacy_notice.url,
        "privacy_version": settings.privacy_notice.version,
    }


def example_value_warnings(settings: Settings) -> list[str]:
    """Warnings for every value that is still an example, so nobody goes live with them."""
    warnings: list[str] = []
    if settings.firm.example_values:
        warnings.append(
            f"{settings.source.name} still uses EXAMPLE values (firm.example_values is true): replace every "
            "value marked EXAMPLE with the firm's real details, then set firm.example_values to false.")
    fields = {
        "firm.name": settings.firm.name,
        "firm.phone": settings.firm.phone,
        "firm.emergency_phone": settings.firm.emergency_phone,
        "firm.email": settings.firm.email,
        "firm.office_hours": settings.firm.office_hours,
        "firm.website": settings.firm.website,
        "privacy_notice.url": settings.privacy_notice.url,
    }
    if settings.notifications.email.enabled:
        fields["notifications.email.from"] = settings.notifications.email.from_address
        fields["notifications.email.to"] = ", ".join(settings.notifications.email.to)
    for name, value in fields.items():
        lowered = value.casefold()
        if "example" in lowered or "+44 20 7946 0" in value:
            warnings.append(f"{name} is still an example value: {value!r}.")
    return warnings


def notification_warnings(settings: Settings, environ: Optional[Mapping[str, str]] = None) -> list[str]:
    """Warnings about notification set-ups under which the lawyers would not hear of new requests."""
    environ = os.environ if environ is None else environ
    warnings: list[str] = []
    notifications = settings.notifications
    if not notifications.enabled_channels():
        warnings.append(
            "No notification channel is enabled (notifications.email / notifications.slack_webhook): new "
            "requests are only visible with `python -m intake.admin list`.")
    if notifications.slack_webhook.enabled and not environ.get(notifications.slack_webhook.url_env):
        warnings.append(
            f"Slack notifications are enabled but {notifications.slack_webhook.url_env} is not set: they will "
            "wait in the outbox until it is.")
    if notifications.include_summary and notifications.enabled_channels():
        warnings.append(
            "notifications.include_summary is true: every email and Slack message carries the person's name, "
            "contacts and story, outside the encrypted database. Leave it false to send only the reference, "
            "the URGENT mark, the problem type and the desk link.")
    email = notifications.email
    if email.enabled and notifications.include_summary and not email.starttls and email.smtp_host not in {"127.0.0.1", "localhost", "::1"}:
        warnings.append(
            f"Email notifications to {email.smtp_host} are sent without STARTTLS: the summaries contain "
            "personal data; set notifications.email.starttls to true.")
    return warnings


def startup_warnings(settings: Optional[Settings] = None) -> list[str]:
    """Log (at WARNING) and return everything that must be fixed before going live."""
    settings = settings or get_settings()
    warnings = example_value_warnings(settings) + notification_warnings(settings)
    for warning in warnings:
        logger.warning(warning)
    return warnings

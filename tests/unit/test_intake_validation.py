"""What a person sees when the assistant checks their answers, and how firm.yml is read."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from firm import SettingsError, example_value_warnings, load_settings, notification_warnings
from intake import validation
from intake.references import ALPHABET, new_reference, normalize_reference
from intake.validation import (validate_contact, validate_description, validate_full_name, validate_language,
                               validate_problem_type)
from tests.intake_support import PROJECT_ROOT

# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("typed, stored", [
    ("  Maria    Ivanova ", "Maria Ivanova"),
    ("Seán O'Brien-Ní Dhuibhir", "Seán O'Brien-Ní Dhuibhir"),
    ("محمد عبد الله", "محمد عبد الله"),
    ("Андрей Петрович Сидоров", "Андрей Петрович Сидоров"),
    ("王小明", "王小明"),
    ("Đặng Thị Ngọc Hân", "Đặng Thị Ngọc Hân"),
    ("J. R. R. Tolkien", "J. R. R. Tolkien"),
    ("अनिल कुमार", "अनिल कुमार"),
    ("Jean\tLuc\u202e Picard\x00", "Jean Luc Picard"),  # tabs, bidi override and NUL removed
])
def test_names_in_any_script_are_accepted_and_tidied(typed: str, stored: str) -> None:
    assert validate_full_name(typed) == validation.Validated(stored, None)


@pytest.mark.parametrize("typed, says", [
    ("", "Please type your full name"),
    ("   ", "Please type your full name"),
    ("12345678", "looks like a phone number"),
    ("?!...", "couldn't find any letters"),
    ("maria@example.com", "looks like an email address"),
    ("https://maria.example.org", "web address"),
    ("www.ivanova.ru", "web address"),
    ("Maria 😀", "without emoji"),
    ("<script>alert(1)</script>", "can't contain “<”"),
])
def test_things_that_are_not_names_are_refused_kindly(typed: str, says: str) -> None:
    result = validate_full_name(typed)
    assert result.value is None
    assert says in result.error


def test_a_name_over_120_characters_is_refused_with_the_limit() -> None:
    assert validate_full_name("A" * 120).ok
    result = validate_full_name("A" * 121)
    assert result.error == ("That's longer than a name usually is — please type just your full name "
                            "(up to 120 characters).")


# --------------------------------------------------------------------------- contact


def test_an_email_alone_is_accepted_with_its_domain_lowercased() -> None:
    assert validate_contact("Maria.Ivanova@Example.COM") == validation.ContactValidated(
        "Maria.Ivanova@example.com", None, None)


def test_an_international_phone_is_stored_in_e164() -> None:
    result = validate_contact("+44 20 7946 0958")
    assert (result.email, result.phone, result.error) == (None, "+442079460958", None)


def test_the_00_international_prefix_works_like_plus() -> None:
    assert validate_contact("0044 20 7946 0958").phone == "+442079460958"


def test_email_and_phone_in_one_message_are_both_kept() -> None:
    result = validate_contact("you can write to ivan@mail.ru or call +7 912 345-67-89, thanks")
    assert (result.email, result.phone, result.error) == ("ivan@mail.ru", "+79123456789", None)


def test_a_national_number_needs_the_region_hint() -> None:
    without = validate_contact("020 7946 0958")
    assert without.phone is None
    assert "country code" in without.error
    assert validate_contact("020 7946 0958", region_hint="GB").phone == "+442079460958"
    assert validate_contact("020 7946 0958", region_hint="United Kingdom").phone == "+442079460958"


EMAILS_THAT_CANNOT_WORK = [
    ("maria@", "The part after the @ is missing"),
    ("@example.com", "The part before the @ is missing"),
    ("maria@@example.com", "only one @"),
    ("maria@example", "needs a domain with an ending"),
    ("maria@example.c", "ending of the address"),
    ("maria@exa_mple.com", "doesn't look like a real domain"),
    ("ma..ria@example.com", "characters an email address can't have"),
]
PHONES_THAT_CANNOT_WORK = [("+44 20 79", "too short"), ("+999 1234 5678", "country code at the start"),
                           ("+44 20 7946 0958 1234 5678", "too long")]
NO_CONTACT = [("maria", "I need a way for the lawyers to reach you"), ("", "I need a way for the lawyers to reach you")]


@pytest.mark.parametrize("typed, says", NO_CONTACT + EMAILS_THAT_CANNOT_WORK + PHONES_THAT_CANNOT_WORK)
def test_a_contact_that_cannot_work_gets_a_specific_error(typed: str, says: str) -> None:
    result = validate_contact(typed)
    assert (result.email, result.phone) == (None, None)
    assert says in result.error


def test_the_incomplete_email_message_is_the_documented_one() -> None:
    assert validate_contact("maria at example dot com@").error.startswith("The part")
    assert validate_contact("mariaexample.com@").error == (
        "The part after the @ is missing — an email address looks like name@example.com.")


def test_when_one_contact_is_fine_the_other_is_left_out_with_a_notice() -> None:
    result = validate_contact("maria@example.com and +44 20 79")
    assert result.ok and result.email == "maria@example.com" and result.phone is None
    assert "left out the phone number" in result.notice


def test_international_email_domains_are_accepted() -> None:
    assert validate_contact("иван@пример.рф").email == "иван@пример.рф"


# --------------------------------------------------------------------------- language


@pytest.mark.parametrize("typed, language", [
    ("english", "English"), ("en", "English"), ("English please", "English"),
    ("français", "French"), ("French", "French"), ("je préfère le français", "French"),
    ("русский", "Russian"), ("russian", "Russian"), ("Ukrainian", "Ukrainian"), ("українська", "Ukrainian"),
    ("arabic", "Arabic"), ("العربية", "Arabic"), ("spanish", "Spanish"), ("Deutsch", "German"),
    ("turkish", "Turkish"), ("Türkçe", "Turkish"),
    ("I'd like it in English", "English"),   # "it" inside a sentence is not Italian
    ("kurdish", "Kurdish"),                  # unknown but plausible: kept, title-cased
    ("ਪੰਜਾਬੀ", "ਪੰਜਾਬੀ"),
])
def test_languages_are_recognised_in_many_spellings(typed: str, language: str) -> None:
    assert validate_language(typed) == validation.Validated(language, None)


@pytest.mark.parametrize("typed", ["", "123", "x" * 41, "maybe tomorrow or later please"])
def test_something_that_is_not_a_language_is_refused(typed: str) -> None:
    result = validate_language(typed)
    assert result.value is None and "language" in result.error


def test_language_names_come_from_firm_yml() -> None:
    names = validation.language_names()
    assert names[:3] == ["English", "French", "Russian"]


# --------------------------------------------------------------------------- description


@pytest.mark.parametrize("typed", ["skip", "No", "none", "  NONE. ", None, ""])
def test_the_description_can_be_skipped(typed: str) -> None:
    assert validate_description(typed) == validation.Validated("", None)


def test_html_and_line_breaks_are_kept_as_literal_text() -> None:
    typed = "<b>Arrested</b> at the airport\r\n\r\n\r\nI'm scared\x07 & alone"
    assert validate_description(typed).value == "<b>Arrested</b> at the airport\n\nI'm scared & alone"


def test_a_too_long_description_is_refused_with_the_limit() -> None:
    assert validate_description("x" * 1000).value == "x" * 1000
    result = validate_description("x" * 1234)
    assert result.value is None
    assert "1000 characters" in result.error and "1,234" in result.error


# --------------------------------------------------------------------------- problem type


@pytest.mark.parametrize("typed, problem", [
    ("red_notice", "red_notice"), ("Red Notice", "red_notice"), ("DIFFUSION", "diffusion"),
    ("extradition_request", "extradition_request"), ("Something else", "other"), ("other", "other"),
    ("arrested", "detained_now"), ("My brother was detained", "detained_now"),
    ("I was arrested on a red notice", "detained_now"),   # urgent wins
    ("they want to extradite me", "extradition_request"), ("extradtion", "extradition_request"),
    ("4", "detained_now"), ("I don’t know", "other"),
])
def test_problem_types_are_recognised_from_ids_labels_and_close_words(typed: str, problem: str) -> None:
    assert validate_problem_type(typed) == validation.Validated(problem, None)


def test_an_unrecognised_problem_lists_the_choices() -> None:
    result = validate_problem_type("my cat")
    assert result.value is None
    for problem in validation.PROBLEM_TYPES:
        assert problem.label in result.error
    # someone who cannot tell a Red Notice from a diffusion is told what to choose
    assert "If you don't know, choose “Something else”" in result.error


def test_problem_types_come_from_firm_yml_and_detained_now_is_urgent() -> None:
    ids = [p.id for p in validation.PROBLEM_TYPES]
    assert ids == ["red_notice", "diffusion", "extradition_request", "detained_now", "other"]
    assert [p.id for p in validation.PROBLEM_TYPES if p.urgent] == ["detained_now"]
    assert validation.is_urgent_problem("detained_now") and not validation.is_urgent_problem("red_notice")


# --------------------------------------------------------------------------- references


def test_references_are_short_unambiguous_and_forgiving_to_type() -> None:
    references = {new_reference("IC") for _ in range(2000)}
    assert len(references) == 2000
    for reference in references:
        assert len(reference) == 12 and reference.startswith("IC-")
        assert not set(reference[3:].replace("-", "")) - set(ALPHABET)
        assert not set("01OIL") & set(reference[3:])
    assert normalize_reference(" ic 7kq4 m2xd ") == "IC-7KQ4-M2XD"
    assert normalize_reference("IC-7KQ4-M2X0") is None


# --------------------------------------------------------------------------- settings


def _write_settings(tmp_path: Path, **changes: dict) -> Path:
    data = yaml.safe_load((PROJECT_ROOT / "firm.yml").read_text(encoding="utf-8"))
    for section, values in changes.items():
        data[section].update(values)
    path = tmp_path / "firm.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_shipped_settings_load_and_warn_about_example_values() -> None:
    settings = load_settings(PROJECT_ROOT / "firm.yml", environ={})
    warnings = example_value_warnings(settings)
    assert any("example_values" in w for w in warnings)
    assert any(w.startswith("firm.phone") for w in warnings)
    assert settings.intake.database_url == f"sqlite:///{PROJECT_ROOT / '.run' / 'intake.db'}"
    assert settings.intake.spool_dir == PROJECT_ROOT / ".run" / "spool"
    assert any("No notification channel" in w for w in notification_warnings(settings, environ={}))


def test_real_values_give_no_warning(tmp_path: Path) -> None:
    path = _write_settings(
        tmp_path,
        firm={"example_values": False, "name": "Smith & Partners", "phone": "+33 1 42 68 53 00",
              "emergency_phone": "+33 6 12 34 56 78", "email": "contact@smith-partners.fr",
              "office_hours": "Mon–Fri 9–18 CET", "website": "https://smith-partners.fr"},
        privacy_notice={"url": "https://smith-partners.fr/privacy", "version": "2026-02"})
    assert example_value_warnings(load_settings(path, environ={})) == []


def test_environment_overrides_switch_database_and_channels(tmp_path: Path) -> None:
    settings = load_settings(PROJECT_ROOT / "firm.yml", environ={
        "DATABASE_URL": "postgres://u@db:5432/intake", "TRACKER_DATABASE_URL": "sqlite:///tmp/t.db",
        "NOTIFY_EMAIL_ENABLED": "true", "NOTIFY_SMTP_HOST": "mail.internal", "NOTIFY_SMTP_PORT": "587",
        "NOTIFY_SLACK_ENABLED": "yes"})
    assert settings.intake.database_url == "postgresql://u@db:5432/intake"
    assert settings.intake.tracker_database_url == f"sqlite:///{PROJECT_ROOT / 'tmp' / 't.db'}"
    assert (settings.notifications.email.enabled, settings.notifications.email.smtp_host,
            settings.notifications.email.smtp_port) == (True, "mail.internal", 587)
    assert settings.notifications.enabled_channels() == ("email", "slack")


def test_firm_settings_env_points_to_another_file(tmp_path: Path) -> None:
    path = _write_settings(tmp_path, intake={"retention_days": 30})
    assert load_settings(environ={"FIRM_SETTINGS": str(path)}).intake.retention_days == 30


def test_broken_settings_name_every_problem(tmp_path: Path) -> None:
    path = _write_settings(tmp_path, intake={"retention_days": "a year", "problem_types": [
        {"id": "red_notice", "label": "Red Notice", "urgent": "maybe"}]},
        notifications={"poll_seconds": -1})
    with pytest.raises(SettingsError) as raised:
        load_settings(path, environ={"NOTIFY_SMTP_PORT": "smtp"})
    message = str(raised.value)
    for fragment in ("intake.retention_days", "urgent", "detained_now", "poll_seconds", "NOTIFY_SMTP_PORT"):
        assert fragment in message


def test_a_missing_settings_file_is_reported_by_name(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="nowhere.yml"):
        load_settings(tmp_path / "nowhere.yml")


@pytest.mark.parametrize("value", [1.5, -0.1, "sure"])
def test_a_clear_yes_confidence_outside_0_to_1_is_refused(tmp_path: Path, value: object) -> None:
    path = _write_settings(tmp_path, intake={"clear_yes_confidence": value})
    with pytest.raises(SettingsError, match="intake.clear_yes_confidence"):
        load_settings(path, environ={})


def test_the_clear_yes_confidence_is_read_from_firm_yml(tmp_path: Path) -> None:
    assert load_settings(_write_settings(tmp_path, intake={"clear_yes_confidence": 0.75}),
                         environ={}).intake.clear_yes_confidence == 0.75

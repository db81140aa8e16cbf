"""The firm's settings (firm.yml), read by both the Rasa server and the action server.

``firm.settings`` loads and checks the file; the names the rest of the project uses are
re-exported here: ``from firm import get_settings, response_variables``.
"""

from firm.settings import (ProblemType, Settings, SettingsError, example_value_warnings, get_settings, load_settings,
                           notification_warnings, resolve_database_url, response_variables, startup_warnings)

__all__ = [
    "ProblemType", "Settings", "SettingsError", "example_value_warnings", "get_settings", "load_settings",
    "notification_warnings", "resolve_database_url", "response_variables", "startup_warnings",
]

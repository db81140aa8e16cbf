"""Consultation intake: validate, store and deliver requests from the Rasa assistant to the lawyers.

Plain Python (no Rasa imports) so it can be tested and used on its own:

- ``intake.settings``      firm.yml -> frozen dataclasses (``get_settings()``)
- ``intake.validation``    kind, specific checks of what a person types
- ``intake.storage``       ``open_store()`` -> requests + outbox + audit log (SQLite/PostgreSQL)
- ``intake.summary``       the text the lawyers receive
- ``intake.notify``        email / Slack webhook notifiers
- ``intake.outbox``        background delivery with retries (``OutboxWorker``)
- ``intake.conversations`` erase/purge conversations in Rasa's SQL tracker store
- ``intake.spool``         on-disk safety net while the database is unreachable
- ``intake.admin``         staff CLI: ``python -m intake.admin --help``

Nothing is imported here so that importing one module does not load the others.
"""

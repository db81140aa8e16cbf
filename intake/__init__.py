"""Consultation intake: validate, store and deliver requests from the Rasa assistant to the lawyers.

Plain Python (no Rasa imports) so it can be tested and used on its own; the firm's settings
(firm.yml) are in the package ``firm``.

- ``intake.validation``      kind, specific checks of what a person types
- ``intake.records``         the records stored and read back (``ConsultationRequest``, ``StoredRequest`` ...)
- ``intake.store``           ``open_store()`` -> requests + outbox + audit log (SQLite/PostgreSQL)
- ``intake.store_interface`` what the actions and the outbox worker need from it (Protocols)
- ``intake.request_store``   requests: submit exactly once, spool hand-over, read, erase, purge, audit
- ``intake.outbox_store``    outbox rows: claims, deliveries, retries
- ``intake.request_checks``  checks on a request before it is stored
- ``intake.schema``          the tables; ``intake.database``: the engine, tables created on first use
- ``intake.summary``         the text the lawyers receive
- ``intake.notify``          email / Slack webhook notifiers
- ``intake.outbox``          background delivery with retries (``OutboxWorker``)
- ``intake.conversations``   erase/purge conversations in Rasa's SQL tracker store
- ``intake.spool``           on-disk safety net while the database is unreachable (encrypted)
- ``intake.crypto``          the data key (INTAKE_DATA_KEY): personal data encrypted at rest, email lookup hashes
- ``intake.admin``           staff CLI: ``python -m intake.admin --help``

Nothing is imported here so that importing one module does not load the others.
"""

"""The intake storage and outbox tests of tests/unit, again on a real PostgreSQL server.

tests/unit runs them on SQLite; here ``intake_database_url`` and ``tracker_database_url``
(tests/e2e/conftest.py) are new schemas on the throwaway server of scripts/services/postgres.sh.
Every test of those modules that takes a database is listed here.
"""
from __future__ import annotations

from tests.unit.test_intake_outbox import (  # noqa: F401  (pytest collects them here, with this folder's fixtures)
    inbox,
    receiver,
    test_an_urgent_request_reaches_the_lawyers_mailbox_once,
    test_a_mail_server_that_is_down_does_not_break_the_worker,
    test_slack_gets_the_summary_with_the_persons_text_shown_literally,
    test_receiver_down_request_kept_retried_and_delivered_exactly_once,
    test_failures_back_off_exponentially_up_to_the_cap_then_give_up_visibly,
    test_a_missing_webhook_secret_keeps_the_notification_waiting,
    test_one_channel_failing_does_not_resend_the_other,
    test_two_workers_at_once_never_send_a_notification_twice,
    test_the_background_worker_delivers_without_being_asked,
    test_a_slow_channel_never_slows_down_submitting,
    test_a_request_spooled_during_an_outage_is_moved_in_and_notified,
)
from tests.unit.test_intake_storage import (  # noqa: F401  (pytest collects them here, with this folder's fixtures)
    test_a_submitted_request_gets_a_readable_reference_and_is_stored_complete,
    test_references_can_be_typed_loosely,
    test_a_second_submit_of_the_same_conversation_creates_nothing,
    test_concurrent_submits_of_one_conversation_store_it_once,
    test_the_database_itself_refuses_a_second_row_for_a_conversation,
    test_request_summary_and_outbox_rows_are_written_together,
    test_no_channel_enabled_means_no_outbox_rows,
    test_detained_now_is_urgent_and_the_summary_says_so_first,
    test_the_summary_contains_everything_the_lawyers_need,
    test_odd_and_long_input_is_stored_verbatim,
    test_nul_characters_are_removed_instead_of_failing,
    test_requests_the_program_should_not_send_are_refused_clearly,
    test_handled_requests_leave_the_new_list,
    test_erasure_removes_the_request_everywhere_and_audits_without_personal_data,
    test_purge_deletes_only_requests_older_than_the_retention,
    test_while_the_database_is_down_the_request_is_spooled_and_moved_in_later,
    test_a_repeat_submit_after_the_database_is_back_keeps_the_spooled_reference,
    test_erasure_also_reaches_the_spool,
    test_a_conversation_is_erased_from_the_tracker_store,
    test_old_conversations_are_purged_whole,
    test_a_missing_tracker_store_means_nothing_to_erase,
)

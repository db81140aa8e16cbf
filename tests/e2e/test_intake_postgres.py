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
    test_slack_gets_the_reference_and_link_and_nothing_personal,
    test_slack_shows_the_persons_text_literally_when_the_summary_is_opted_in,
    test_the_firm_may_opt_in_to_the_full_summary_with_a_warning,
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
from tests.unit.test_encryption_at_rest import (  # noqa: F401  (pytest collects them here, with this folder's fixtures)
    test_requests_notes_and_conversations_are_not_stored_in_clear,
    test_the_spool_on_disk_is_encrypted_and_still_moved_in,
    test_a_wrong_key_stops_the_store_and_changes_nothing,
    test_key_rotation_re_encrypts_every_row_and_the_old_key_opens_nothing,
)
from tests.unit.test_desk import (  # noqa: F401  (pytest collects them here, with this folder's fixtures)
    desk,
    test_a_lawyer_assigns_notes_and_handles_but_may_not_erase_or_export,
    test_five_wrong_passwords_lock_the_account_and_are_logged,
    test_logging_out_ends_the_session_even_for_a_copied_cookie,
)

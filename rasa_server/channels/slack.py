"""The Slack app: Rasa's `SlackInput` configured from the environment and hardened.

* Settings come from environment variables, so no secret is ever written to a file:
  `SLACK_BOT_TOKEN` (xoxb-…), `SLACK_SIGNING_SECRET`, and optionally `SLACK_API_URL`, the
  Web API's base URL (default https://slack.com/api/; the tests point it at a local stand-in).
  Non-secret options (`use_threads`, `conversation_granularity`, `slack_channel`,
  `errors_ignore_retry`, `proxy`) can still be given in the credentials section.
* Every request must carry a valid v0 signature made less than five minutes ago; anything
  else gets a clean JSON 401 (400 for a malformed timestamp) and is never processed.
* Slack's retries never produce a second reply: each event id (and each button click's
  trigger id) is remembered for an hour and a repeat is acknowledged with 200 and
  `X-Slack-No-Retry: 1`; retries for `http_timeout` are acknowledged without processing as
  Rasa does (the first delivery is still being answered).
* The `url_verification` challenge is answered with `{"challenge": "..."}`.
* Buttons go out as Slack blocks (Rasa's `SlackBot`) and clicks come back as `interactive`
  payloads (form-encoded `payload=`), whose button value becomes the user's message.
* When the conversation's lock cannot be taken (Redis down in scale-out mode), the person
  gets the apology with the firm's contacts, as on the other channels (rasa_server/stores/lock_store.py).

Registered by scripts through ops/credentials.py only when SLACK_BOT_TOKEN and
SLACK_SIGNING_SECRET are set: `rasa_server.channels.slack.EnvSlackInput:`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa_server.channels.language import with_language
from rasa_server.stores.lock_store import handle_or_apologise
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)

TOKEN_ENV = "SLACK_BOT_TOKEN"
SIGNING_SECRET_ENV = "SLACK_SIGNING_SECRET"
API_URL_ENV = "SLACK_API_URL"
DEFAULT_API_URL = "https://slack.com/api/"

MAX_BUTTONS = 25  # elements of one actions block
MAX_BUTTON_TITLE = 75
MAX_BUTTON_VALUE = 2000
MAX_SECTION_TEXT = 3000

MAX_REQUEST_AGE_SECONDS = 5 * 60
SEEN_EVENTS_TTL_SECONDS = 60 * 60
SEEN_EVENTS_MAX = 10_000

# Message subtypes that are edits, deletions, joins, bots …: nothing a person asked.
IGNORED_SUBTYPES_ALLOWED = {None, "", "file_share", "thread_broadcast"}


def api_base_url(url: Optional[Text]) -> Text:
    """slack_sdk joins method names onto the base URL, which therefore needs its last '/'."""
    url = (url or DEFAULT_API_URL).strip()
    return url if url.endswith("/") else url + "/"


def json_error(status: int, code: Text, message: Text) -> HTTPResponse:
    return response.json({"error": code, "message": message}, status=status)


class RecentKeys:
    """Keys seen in the last `ttl` seconds, at most `max_keys` of them (oldest dropped)."""

    def __init__(
        self,
        ttl: float = SEEN_EVENTS_TTL_SECONDS,
        max_keys: int = SEEN_EVENTS_MAX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_keys = max_keys
        self.clock = clock
        self._seen: "OrderedDict[Text, float]" = OrderedDict()

    def add(self, key: Text) -> bool:
        """Records key; False when it was already seen within the ttl."""
        now = self.clock()
        while self._seen:
            seen_at = next(iter(self._seen.values()))
            if now - seen_at <= self.ttl and len(self._seen) < self.max_keys:
                break
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


class ConfigurableSlackBot(SlackBot):
    """Rasa's `SlackBot` (buttons as blocks, paragraphs as messages) on a chosen API URL."""

    def __init__(
        self,
        token: Text,
        slack_channel: Optional[Text] = None,
        thread_id: Optional[Text] = None,
        proxy: Optional[Text] = None,
        api_url: Optional[Text] = None,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = AsyncWebClient(token, base_url=api_base_url(api_url), proxy=proxy)

    async def send_text_with_buttons(
        self,
        recipient_id: Text,
        text: Text,
        buttons: List[Dict[Text, Any]],
        **kwargs: Any,
    ) -> None:
        """Leading paragraphs as plain messages, the last one with its buttons as blocks.

        Rasa's version drops every button past five (an old attachment limit); an actions
        block holds up to 25, and Slack caps a section at 3000 and a button title at 75
        characters.
        """
        if not buttons:
            return await self.send_text_message(recipient_id, text, **kwargs)
        if len(buttons) > MAX_BUTTONS:
            logger.warning("Slack shows at most %d buttons; the rest are dropped.", MAX_BUTTONS)
        paragraphs = [part for part in text.strip().split("\n\n") if part.strip()] or [" "]
        for paragraph in paragraphs[:-1]:
            await self.send_text_message(recipient_id, paragraph, **kwargs)
        last = paragraphs[-1][:MAX_SECTION_TEXT]
        elements = [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": str(button["title"])[:MAX_BUTTON_TITLE]},
                "value": str(button["payload"])[:MAX_BUTTON_VALUE],
                "action_id": f"button_{index}",
            }
            for index, button in enumerate(buttons[:MAX_BUTTONS])
        ]
        await self._post_message(
            channel=self.slack_channel or recipient_id,
            as_user=True,
            text=last,
            blocks=[
                {"type": "section", "text": {"type": "plain_text", "text": last}},
                {"type": "actions", "elements": elements},
            ],
        )


class EnvSlackInput(SlackInput):
    """Slack Events API and interactivity endpoint: `/webhooks/slack/webhook`."""

    @classmethod
    def name(cls) -> Text:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        settings = credentials or {}
        token = os.environ.get(TOKEN_ENV, "").strip()
        secret = os.environ.get(SIGNING_SECRET_ENV, "").strip()
        if not token or not secret:
            raise InvalidConfigException(
                f"The Slack channel needs the environment variables {TOKEN_ENV} and "
                f"{SIGNING_SECRET_ENV} (see README.md, 'Slack app')."
            )
        return cls(
            token,
            slack_channel=settings.get("slack_channel"),
            proxy=settings.get("proxy"),
            slack_retry_reason_header=settings.get(
                "slack_retry_reason_header", "x-slack-retry-reason"
            ),
            slack_retry_number_header=settings.get("slack_retry_number_header", "x-slack-retry-num"),
            errors_ignore_retry=settings.get("errors_ignore_retry"),
            use_threads=bool(settings.get("use_threads", False)),
            slack_signing_secret=secret,
            conversation_granularity=settings.get("conversation_granularity", "sender"),
            api_url=os.environ.get(API_URL_ENV) or settings.get("api_url") or DEFAULT_API_URL,
        )

    def __init__(self, *args: Any, api_url: Optional[Text] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_url = api_base_url(api_url)
        self.seen = RecentKeys()

    # ------------------------------------------------------------ authenticity

    def signature_problem(self, request: Request) -> Optional[HTTPResponse]:
        """None when the request is signed by Slack within the last five minutes."""
        signature = request.headers.get("x-slack-signature", "")
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        if not signature or not timestamp:
            return json_error(401, "missing_signature", "The request is not signed by Slack.")
        try:
            sent_at = int(timestamp)
        except ValueError:
            return json_error(400, "invalid_timestamp", "X-Slack-Request-Timestamp is not a number.")
        if abs(time.time() - sent_at) > MAX_REQUEST_AGE_SECONDS:
            return json_error(
                401, "stale_request", "The request was signed more than five minutes ago."
            )
        digest = hmac.new(
            self.slack_signing_secret.encode(),
            f"v0:{timestamp}:".encode() + (request.body or b""),
            hashlib.sha256,
        ).hexdigest()
        if not hmac.compare_digest(f"v0={digest}".encode(), signature.encode()):
            return json_error(401, "invalid_signature", "The request's signature does not match.")
        return None

    def is_request_from_slack_authentic(self, request: Request) -> bool:
        return self.signature_problem(request) is None

    # ------------------------------------------------------------------ parsing

    @staticmethod
    def _content_type(request: Request) -> Text:
        return request.headers.get("content-type", "").split(";")[0].strip().lower()

    @staticmethod
    def _interactive_payload(request: Request) -> Optional[Dict[Text, Any]]:
        try:
            payload = json.loads(request.form.get("payload", ""))
        except (ValueError, TypeError):
            return None
        return payload if isinstance(payload, dict) else None

    def get_metadata(self, request: Request) -> Dict[Text, Any]:
        """Where to answer (channel, thread) and which user ids are the bot's own."""
        content_type = self._content_type(request)
        if content_type == "application/json":
            slack_event = request.json or {}
            event = slack_event.get("event") or {}
            users: List[Text] = []
            if slack_event.get("authed_users"):
                users = list(slack_event["authed_users"])
            elif slack_event.get("authorizations"):
                users.append(slack_event["authorizations"][0].get("user_id"))
            return {
                "out_channel": event.get("channel"),
                "thread_id": event.get("thread_ts", event.get("ts")),
                "users": users,
            }
        if content_type == "application/x-www-form-urlencoded":
            payload = self._interactive_payload(request) or {}
            message = payload.get("message") or {}
            user_id = (payload.get("user") or {}).get("id")
            channel_id = (payload.get("channel") or {}).get("id") or (
                payload.get("container") or {}
            ).get("channel_id")
            return {
                "out_channel": channel_id,
                "thread_id": message.get("thread_ts", message.get("ts")),
                "users": [user_id] if user_id else [],
            }
        return {}

    # ------------------------------------------------------------------ retries

    def _already_handled(self, request: Request, key: Optional[Text]) -> Optional[HTTPResponse]:
        """The acknowledgement for a delivery that must not be answered again, else None."""
        retry_number = request.headers.get(self.retry_num_header)
        retry_reason = request.headers.get(self.retry_reason_header)
        duplicate = key is not None and not self.seen.add(key)
        if duplicate or (retry_number and retry_reason in self.errors_ignore_retry):
            logger.info(
                "Slack delivery %s (retry %s, %s) already handled; acknowledged.",
                key, retry_number, retry_reason,
            )
            return response.text("", status=HTTPStatus.OK, headers={"X-Slack-No-Retry": "1"})
        return None

    # ---------------------------------------------------------------- endpoints

    def get_output_channel(
        self, channel: Optional[Text] = None, thread_id: Optional[Text] = None
    ) -> OutputChannel:
        return ConfigurableSlackBot(
            self.slack_token, channel or self.slack_channel, thread_id, self.proxy, self.api_url
        )

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        slack_webhook = Blueprint(f"slack_webhook_{type(self).__name__}", __name__)

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            problem = self.signature_problem(request)
            if problem is not None:
                return problem
            content_type = self._content_type(request)

            async def handle(message: UserMessage) -> None:
                # The lock store down (Redis in scale-out mode): the apology, not silence.
                message.metadata = with_language(message.metadata, message.text)
                await handle_or_apologise(on_new_message, message, lambda: request.app.ctx.agent)

            try:
                if content_type == "application/json":
                    return await self._handle_event(request, handle)
                if content_type == "application/x-www-form-urlencoded":
                    return await self._handle_interaction(request, handle)
            except Exception:  # signed by Slack yet unreadable: answer cleanly, log the trace
                logger.exception("Could not handle a signed Slack request.")
                return json_error(400, "invalid_payload", "The request could not be read.")
            return json_error(
                415, "unsupported_media_type", "Expected application/json or a form payload."
            )

        return slack_webhook

    async def _handle_event(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        try:
            output = json.loads(request.body or b"")
        except (ValueError, UnicodeDecodeError):
            return json_error(400, "invalid_json", "The request body is not valid JSON.")
        if not isinstance(output, dict):
            return json_error(400, "invalid_payload", "Expected a JSON object.")

        if output.get("type") == "url_verification" or "challenge" in output:
            return response.json({"challenge": output.get("challenge")})

        event = output.get("event") or {}
        if not self._is_user_message(output) or event.get("subtype") not in IGNORED_SUBTYPES_ALLOWED:
            return response.text("Not a user message; skipped.")

        metadata = self.get_metadata(request)
        if not self._is_supported_channel(output, metadata):
            logger.info("Slack message on a channel the bot does not answer in; skipped.")
            return response.text("channel not supported.")

        acknowledged = self._already_handled(request, output.get("event_id"))
        if acknowledged is not None:
            return acknowledged

        conversation_id = self._get_conversation_id(
            event.get("user", ""), metadata.get("out_channel"), metadata.get("thread_id")
        )
        return await self.process_message(
            request,
            on_new_message,
            text=self._sanitize_user_message(event.get("text", ""), metadata["users"]),
            sender_id=conversation_id,
            metadata=metadata,
        )

    async def _handle_interaction(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        payload = self._interactive_payload(request)
        if payload is None:
            return json_error(400, "invalid_payload", "Expected a form field 'payload' with JSON.")
        if not self._is_interactive_message(payload):
            return response.text("Interaction not supported; ignored.")
        action = payload["actions"][0]
        text = self._get_interactive_response(action)
        if text is None:
            # link buttons have no value: Slack opens the link, the bot has nothing to do
            return response.text("User clicked link button")
        user_id = (payload.get("user") or {}).get("id")
        if not user_id:
            return json_error(400, "invalid_payload", "The interaction names no user.")

        key = payload.get("trigger_id") or (
            f"{user_id}:{action.get('action_ts')}" if action.get("action_ts") else None
        )
        acknowledged = self._already_handled(request, key and f"interaction:{key}")
        if acknowledged is not None:
            return acknowledged

        metadata = self.get_metadata(request)
        conversation_id = self._get_conversation_id(
            user_id, metadata.get("out_channel"), metadata.get("thread_id")
        )
        return await self.process_message(request, on_new_message, text, conversation_id, metadata)

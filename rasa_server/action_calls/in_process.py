"""Custom actions run inside the Rasa server, as Rasa Pro 3.10's `DirectCustomActionExecutor`
does: selected by ``action_endpoint: {actions_module: actions}`` in endpoints.yml instead of
``url:``.

The call is the one the HTTP path sends (`RemoteAction._action_call_format`), handed to
rasa_sdk's `ActionExecutor.run` in this process; the answer is then handled exactly as an
action server's (rasa_server/action_calls/resilient.py). What HTTP gave for free is kept:

* each action gets its own copy of the call: a JSON round trip, because the tracker state and
  `Domain.as_dict()` share lists and dicts with the server's live tracker and domain; the
  answer goes through JSON too, so events and replies are what the HTTP path would decode;
* blocking work stays off the event loop: each call runs in one of WORKERS threads, on an
  event loop of that thread's own. The project's actions already hand their database calls
  to ``asyncio.to_thread``, and run inline on the server's loop `action_answer` takes 0.12 ms;
  but one blocking call (a ``time.sleep`` in tests/unit/in_process_actions.py) run inline
  would stall every conversation and defeat the timeout, which only fires when the loop gets
  control back. Measured for `action_answer` with the domain (on a busy machine, medians):
  inline 0.12 ms; in a thread with a loop kept per thread 0.53 ms (0.2 ms of it the JSON
  copy of the 17 KB domain, sent only to `send_domain` actions); with a new loop per call
  (``asyncio.run``) 1.3 ms. A timed-out action keeps its thread until it returns;
* a failure is what a failed HTTP call is: an exception in an action becomes a
  `RasaException` (the apology with the firm's contacts), a rejection stays a rejection (a
  form's "that answer is not for me"), and the caller's timeout applies unchanged.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, Dict, Optional, Text

from rasa.core.actions.action import ActionExecutionRejection
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection

logger = logging.getLogger(__name__)

ACTIONS_MODULE = "actions_module"  # the endpoints.yml key that selects this mode
# Actions that may run at once; a timed-out action keeps its thread until it returns.
WORKERS = 8


def actions_module(endpoint: Optional[EndpointConfig]) -> Optional[Text]:
    """The package named by ``action_endpoint: {actions_module: ...}``, or None for HTTP."""
    return endpoint.kwargs.get(ACTIONS_MODULE) if endpoint is not None else None


class InProcessActionExecutor:
    """The actions of one package, run in this process (one executor per package)."""

    def __init__(self, module: Text, workers: int = WORKERS) -> None:
        self._actions = ActionExecutor()
        self._actions.register_package(module)
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="custom-action")
        self._loops = threading.local()

    async def run(self, action_call: Dict[Text, Any]) -> Dict[Text, Any]:
        """The action server's answer to action_call, or the exception Rasa's HTTP path raises."""
        name = action_call.get("next_action")
        own_copy = json.loads(json.dumps(action_call))
        loop = asyncio.get_running_loop()
        try:
            answer = await loop.run_in_executor(self._threads, self._run_in_thread, own_copy)
            return json.loads(json.dumps(answer))
        except SdkRejection as rejection:
            logger.debug(rejection)
            raise ActionExecutionRejection(rejection.action_name, rejection.message) from rejection
        except Exception as error:  # what a 500 from the action server is
            logger.exception("Custom action '%s' raised", name)
            raise RasaException(f"Failed to execute custom action '{name}'") from error

    def _run_in_thread(self, action_call: Dict[Text, Any]) -> Any:
        """The action on this worker thread's own event loop, kept for the thread's next call."""
        loop = getattr(self._loops, "loop", None)
        if loop is None:
            loop = self._loops.loop = asyncio.new_event_loop()
        return loop.run_until_complete(self._actions.run(action_call))


@lru_cache(maxsize=None)
def executor_for(module: Text) -> InProcessActionExecutor:
    """The one executor of a package (importing it; an import error stops the caller)."""
    return InProcessActionExecutor(module)

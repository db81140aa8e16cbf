"""Guards for the private symbols of Rasa, rasa-sdk and scikit-learn that the project relies on
(docs/upgrading.md lists every one, with the test that guards it).

Each check names the project file that depends on the symbol, so a Rasa, rasa-sdk or
scikit-learn upgrade that renames, removes or re-signs one fails here with that name, instead
of quietly changing how the server behaves. Symbols that a behavioural test already exercises
(test_rule_policy.py, test_fast_prediction.py, test_multinomial_lbfgs.py,
test_action_response_schema.py, test_tracker_store.py, tests/e2e/...) are guarded there; the
ones here have no other unit-level guard.
"""
from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List, Optional, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]

GRAPH_RUNNER = "rasa_server/engine/graph_runner.py"
RESILIENT = "rasa_server/action_calls/resilient.py"
IN_PROCESS = "rasa_server/action_calls/in_process.py"
ENTRY = "rasa_server/__main__.py"
RULE_POLICY = "rasa_server/policies/rule_policy.py"
TRACKER_STORE = "rasa_server/stores/tracker_store.py"
LOCK_STORE = "rasa_server/stores/lock_store.py"
SOCKETIO = "rasa_server/channels/socketio.py"
REST = "rasa_server/channels/rest.py"
SLACK = "rasa_server/channels/slack.py"
CLASSIFIER = "rasa_server/nlu/intent_classifier.py"
FEATURIZER = "rasa_server/nlu/muse_featurizer.py"
LBFGS = "rasa_server/nlu/multinomial_lbfgs.py"
NLG = "rasa_server/nlg.py"
ACTION_SERVER = "actions/server.py"
TRAINING_IMPORTS = "rasa_server/engine/training_imports.py"


def resolve(dotted: str) -> Any:
    """The object at a dotted path: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ImportError(dotted)


def parameter_names(target: Any) -> List[str]:
    return list(inspect.signature(target).parameters)


# (symbol, its parameter names as the project relies on them, how they must match, async?,
# the project file). "exact": the project overrides it (Rasa would call the override with any
# new parameter); "prefix": the project calls it positionally (optional parameters may be
# appended); "includes": the project passes these by keyword.
SIGNATURES: List[Tuple[str, List[str], str, bool, str]] = [
    # Rasa: the graph runner (replaced by SequentialGraphRunner)
    ("rasa.engine.runner.dask.DaskGraphRunner.__init__",
     ["self", "graph_schema", "model_storage", "execution_context", "hooks"], "exact", False, GRAPH_RUNNER),
    ("rasa.engine.runner.dask.DaskGraphRunner.run", ["self", "inputs", "targets"], "exact", False, GRAPH_RUNNER),
    ("rasa.engine.graph.GraphNode.__call__", ["self", "inputs_from_previous_nodes"], "exact", False, GRAPH_RUNNER),
    # Rasa: the calls to the action server (ResilientRemoteAction)
    ("rasa.core.actions.action.RemoteAction.__init__", ["self", "name", "action_endpoint"], "exact", False, RESILIENT),
    ("rasa.core.actions.action.RemoteAction._action_call_format", ["self", "tracker", "domain"], "exact", False, RESILIENT),
    ("rasa.core.actions.action.RemoteAction._validate_action_result", ["self", "result"], "exact", False, RESILIENT),
    ("rasa.core.actions.action.RemoteAction._is_selective_domain_enabled", ["self"], "prefix", False, RESILIENT),
    ("rasa.core.actions.action.RemoteAction.run",
     ["self", "output_channel", "nlg", "tracker", "domain"], "exact", True, RESILIENT),
    ("rasa.core.actions.action.create_bot_utterance", ["message"], "prefix", False, RESILIENT),
    ("rasa.shared.core.domain.Domain.does_custom_action_explicitly_need_domain",
     ["self", "action_name"], "prefix", False, RESILIENT),
    # Rasa: the in-process actions (handled as RemoteAction.run handles an action server's answer)
    ("rasa.core.actions.action.RemoteAction._utter_responses",
     ["responses", "output_channel", "nlg", "tracker"], "exact", True, RESILIENT),
    ("rasa.shared.core.events.deserialise_events", ["serialized_events"], "prefix", False, RESILIENT),
    ("rasa.core.utils.AvailableEndpoints.read_endpoints", ["endpoint_file"], "prefix", False, ENTRY),
    ("rasa.__main__.create_argument_parser", [], "prefix", False, ENTRY),
    # Rasa: RulePolicy (RecentTurnsRulePolicy)
    ("rasa.core.policies.rule_policy.RulePolicy.predict_action_probabilities",
     ["self", "tracker", "domain", "rule_only_data", "kwargs"], "exact", False, RULE_POLICY),
    ("rasa.core.policies.rule_policy.RulePolicy._rule_key_to_state", ["rule_key"], "prefix", False, RULE_POLICY),
    ("rasa.core.policies.rule_policy.RulePolicy._is_rule_applicable",
     ["self", "rule_key", "turn_index", "conversation_state"], "exact", False, RULE_POLICY),
    # Rasa: SQLTrackerStore (ErasableSQLTrackerStore)
    ("rasa.core.tracker_store.SQLTrackerStore.__init__",
     ["self", "domain", "dialect", "host", "port", "db", "username", "password", "event_broker", "query", "kwargs"],
     "includes", False, TRACKER_STORE),
    ("rasa.core.tracker_store.SQLTrackerStore._event_query",
     ["self", "session", "sender_id", "fetch_events_from_all_sessions"], "includes", False, TRACKER_STORE),
    ("rasa.core.tracker_store.SQLTrackerStore.session_scope", ["self"], "exact", False, TRACKER_STORE),
    ("rasa.core.tracker_store.SQLTrackerStore.stream_events", ["self", "tracker"], "prefix", True, TRACKER_STORE),
    ("rasa.core.tracker_store.ensure_schema_exists", ["session"], "prefix", False, TRACKER_STORE),
    ("rasa.shared.utils.cli.print_error_and_exit", ["message"], "prefix", False, TRACKER_STORE),
    # Rasa: RedisLockStore and TicketLock (AtomicRedisLockStore)
    ("rasa.core.lock_store.RedisLockStore.__init__", ["self", "host", "key_prefix"], "includes", False, LOCK_STORE),
    ("rasa.core.lock_store.LockStore.lock",
     ["self", "conversation_id", "lock_lifetime", "wait_time_in_seconds"], "exact", False, LOCK_STORE),
    ("rasa.core.lock_store.LockStore._acquire_lock",
     ["self", "conversation_id", "ticket", "wait_time_in_seconds"], "prefix", True, LOCK_STORE),
    ("rasa.core.lock_store.LockStore.issue_ticket", ["self", "conversation_id", "lock_lifetime"], "exact", False, LOCK_STORE),
    ("rasa.core.lock_store.LockStore.update_lock", ["self", "conversation_id"], "exact", False, LOCK_STORE),
    ("rasa.core.lock_store.LockStore.finish_serving", ["self", "conversation_id", "ticket_number"], "exact", False, LOCK_STORE),
    ("rasa.core.lock_store.LockStore.cleanup", ["self", "conversation_id", "ticket_number"], "exact", False, LOCK_STORE),
    ("rasa.core.lock.TicketLock.from_dict", ["data"], "prefix", False, LOCK_STORE),
    ("rasa.core.lock.TicketLock.issue_ticket", ["self", "lifetime"], "prefix", False, LOCK_STORE),
    ("rasa.core.lock.TicketLock.remove_ticket_for", ["self", "ticket_number"], "prefix", False, LOCK_STORE),
    ("rasa.core.lock.TicketLock.remove_expired_tickets", ["self"], "prefix", False, LOCK_STORE),
    ("rasa.core.lock.TicketLock.is_someone_waiting", ["self"], "prefix", False, LOCK_STORE),
    ("rasa.core.lock.TicketLock.dumps", ["self"], "prefix", False, LOCK_STORE),
    # Rasa: channels
    ("rasa.core.channels.socketio.SocketIOInput.blueprint", ["self", "on_new_message"], "exact", False, SOCKETIO),
    ("rasa.core.channels.rest.RestInput.stream_response",
     ["self", "on_new_message", "text", "sender_id", "input_channel", "metadata"], "prefix", False, REST),
    ("rasa.utils.endpoints.bool_arg", ["request", "name", "default"], "includes", False, REST),
    ("rasa.core.channels.slack.SlackBot.__init__", ["self", "token", "slack_channel", "thread_id", "proxy"],
     "prefix", False, SLACK),
    ("rasa.core.channels.slack.SlackBot._post_message", ["self", "channel", "kwargs"], "includes", True, SLACK),
    ("rasa.core.channels.slack.SlackInput.__init__",
     ["self", "slack_token", "slack_channel", "proxy", "slack_retry_reason_header", "slack_retry_number_header",
      "errors_ignore_retry", "use_threads", "slack_signing_secret", "conversation_granularity"],
     "includes", False, SLACK),
    ("rasa.core.channels.slack.SlackInput._is_user_message", ["slack_event"], "prefix", False, SLACK),
    ("rasa.core.channels.slack.SlackInput._sanitize_user_message", ["text", "uids_to_remove"], "prefix", False, SLACK),
    ("rasa.core.channels.slack.SlackInput._is_interactive_message", ["payload"], "prefix", False, SLACK),
    ("rasa.core.channels.slack.SlackInput._get_interactive_response", ["action"], "prefix", False, SLACK),
    ("rasa.core.channels.slack.SlackInput._get_conversation_id",
     ["self", "sender_id", "channel_id", "thread_id"], "prefix", False, SLACK),
    ("rasa.core.channels.slack.SlackInput._is_supported_channel", ["self", "slack_event", "metadata"],
     "prefix", False, SLACK),
    ("rasa.core.channels.slack.SlackInput.process_message",
     ["self", "request", "on_new_message", "text", "sender_id", "metadata"], "prefix", True, SLACK),
    ("rasa.core.channels.slack.SlackInput.get_metadata", ["self", "request"], "exact", False, SLACK),
    ("rasa.core.channels.slack.SlackInput.is_request_from_slack_authentic", ["self", "request"], "exact", False, SLACK),
    ("rasa.core.channels.slack.SlackInput.get_output_channel", ["self", "channel", "thread_id"], "exact", False, SLACK),
    # Rasa: NLU components
    ("rasa.nlu.classifiers.logistic_regression_classifier.LogisticRegressionClassifier.__init__",
     ["self", "config", "name", "model_storage", "resource"], "prefix", False, CLASSIFIER),
    ("rasa.nlu.classifiers.logistic_regression_classifier.LogisticRegressionClassifier._create_X",
     ["self", "messages"], "exact", False, CLASSIFIER),
    ("rasa.nlu.featurizers.dense_featurizer.dense_featurizer.DenseFeaturizer.__init__",
     ["self", "name", "config"], "prefix", False, FEATURIZER),
    ("rasa.nlu.featurizers.dense_featurizer.dense_featurizer.DenseFeaturizer.add_features_to_message",
     ["self", "sequence", "sentence", "attribute", "message"], "includes", False, FEATURIZER),
    # Rasa: the response generator
    ("rasa.core.nlg.TemplatedNaturalLanguageGenerator.__init__", ["self", "responses"], "prefix", False, NLG),
    ("rasa.core.nlg.TemplatedNaturalLanguageGenerator.generate",
     ["self", "utter_action", "tracker", "output_channel", "kwargs"], "exact", True, NLG),
    # rasa-sdk: the action server's entry point
    ("rasa_sdk.__main__.main_from_args", ["args"], "prefix", False, ACTION_SERVER),
    ("rasa_sdk.endpoint.create_argument_parser", [], "prefix", False, ACTION_SERVER),
    # rasa-sdk: what its webhook runs, run in the Rasa server instead
    ("rasa_sdk.executor.ActionExecutor.register_package", ["self", "package"], "prefix", False, IN_PROCESS),
    ("rasa_sdk.executor.ActionExecutor.run", ["self", "action_call"], "exact", True, IN_PROCESS),
    # what serving need not import (rasa_server/engine/training_imports.py)
    ("rasa.engine.storage.storage.ModelMetadata.from_dict", ["serialized"], "exact", False, TRAINING_IMPORTS),
    ("rasa.engine.graph.GraphSchema.from_dict", ["serialized_graph_schema"], "exact", False, TRAINING_IMPORTS),
    ("rasa.engine.graph.GraphSchema.__init__", ["self", "nodes"], "exact", False, TRAINING_IMPORTS),
    # scikit-learn: the loss multinomial_lbfgs.py minimises
    ("sklearn.linear_model._linear_loss.LinearModelLoss.__init__", ["self", "base_loss", "fit_intercept"],
     "includes", False, LBFGS),
    ("sklearn.linear_model._linear_loss.LinearModelLoss.loss_gradient",
     ["self", "coef", "X", "y", "sample_weight", "l2_reg_strength", "n_threads"], "prefix", False, LBFGS),
    ("sklearn._loss.loss.HalfMultinomialLoss.__init__", ["self", "n_classes"], "includes", False, LBFGS),
]


@pytest.mark.parametrize("symbol, expected, mode, is_async, used_by", SIGNATURES,
                         ids=[entry[0] for entry in SIGNATURES])
def test_the_private_symbol_has_the_signature_the_project_relies_on(
    symbol: str, expected: List[str], mode: str, is_async: bool, used_by: str
) -> None:
    try:
        target = resolve(symbol)
    except (ImportError, AttributeError) as error:
        pytest.fail(f"{symbol} is gone ({error}); {used_by} relies on it: see docs/upgrading.md")
    names = parameter_names(target)
    if mode in ("exact", "prefix"):
        actual = names if mode == "exact" else names[: len(expected)]
        assert actual == expected, (
            f"{symbol}{inspect.signature(target)} changed; {used_by} "
            f"{'overrides' if mode == 'exact' else 'calls'} it as ({', '.join(expected)}): "
            f"see docs/upgrading.md")
    else:
        missing = [name for name in expected if name not in names]
        assert not missing, (
            f"{symbol}{inspect.signature(target)} lost {missing}; {used_by} passes them: "
            f"see docs/upgrading.md")
    assert inspect.iscoroutinefunction(target) == is_async, (
        f"{symbol} is {'no longer' if is_async else 'now'} a coroutine function; {used_by} "
        f"{'awaits' if is_async else 'calls'} it")


# ----------------------------------------------------------------------------- patches.py


def test_install_replaces_the_graph_runner_and_both_remote_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    import rasa.core.actions.action as rasa_actions
    import rasa.core.actions.forms as rasa_forms
    import rasa.core.processor
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.storage import ModelMetadata

    from rasa_server import patches
    from rasa_server.action_calls.resilient import ResilientRemoteAction
    from rasa_server.engine.graph_runner import SequentialGraphRunner
    from rasa_server.engine.training_imports import _DeferringFinder

    originals = {
        (rasa.core.processor, "DaskGraphRunner"): rasa.core.processor.DaskGraphRunner,
        (rasa_actions, "RemoteAction"): rasa_actions.RemoteAction,
        (rasa_forms, "RemoteAction"): rasa_forms.RemoteAction,
    }
    for (module, name), value in originals.items():
        monkeypatch.setattr(module, name, value)  # restored when the test ends
    monkeypatch.setattr(ModelMetadata, "from_dict", ModelMetadata.__dict__["from_dict"])
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    assert rasa.core.processor.DaskGraphRunner is DaskGraphRunner, "another test left the patch installed"
    assert rasa_forms.RemoteAction is rasa_actions.RemoteAction is ResilientRemoteAction.__bases__[0]

    patches.install()

    assert rasa.core.processor.DaskGraphRunner is SequentialGraphRunner
    assert rasa_actions.RemoteAction is ResilientRemoteAction
    assert rasa_forms.RemoteAction is ResilientRemoteAction
    assert issubclass(SequentialGraphRunner, DaskGraphRunner)
    assert hasattr(ModelMetadata.from_dict, "__wrapped__")
    assert any(isinstance(finder, _DeferringFinder) for finder in sys.meta_path)


def global_names(function: Any) -> set:
    return set(inspect.unwrap(function).__code__.co_names)


def test_rasa_looks_the_replaced_names_up_where_the_patches_replace_them() -> None:
    """Replacing a module attribute only works if Rasa reads that attribute at call time."""
    import rasa.core.actions.action as rasa_actions
    import rasa.core.actions.forms as rasa_forms
    import rasa.core.processor

    load_model = rasa.core.processor.MessageProcessor._load_model
    assert "DaskGraphRunner" in global_names(load_model) and \
        inspect.unwrap(load_model).__globals__ is vars(rasa.core.processor), (
            "MessageProcessor._load_model no longer loads the model with "
            "rasa.core.processor.DaskGraphRunner: rasa_server/engine/graph_runner.py's install() "
            "would change nothing")
    creators = [
        (rasa_actions, rasa_actions.action_for_name_or_text),
        (rasa_actions, rasa_actions.ActionExtractSlots._run_custom_action),
        (rasa_forms, rasa_forms.FormAction.validate_slots),
    ]
    for module, function in creators:
        assert "RemoteAction" in global_names(function) and inspect.unwrap(function).__globals__ is vars(module), (
            f"{function.__qualname__} no longer creates {module.__name__}.RemoteAction: "
            f"{RESILIENT}'s install() would miss it")


def test_every_remote_action_rasa_creates_is_created_in_a_patched_module() -> None:
    """A new place creating RemoteAction (another module) would bypass ResilientRemoteAction."""
    import rasa

    package = Path(rasa.__file__).parent
    creating = sorted(
        str(path.relative_to(package.parent))
        for path in package.rglob("*.py")
        if "RemoteAction(" in path.read_text(encoding="utf-8").replace("class RemoteAction(", "")
    )
    assert creating == ["rasa/core/actions/action.py", "rasa/core/actions/forms.py"], (
        f"RemoteAction is created in {creating}; rasa_server/patches.py replaces it only in "
        f"rasa.core.actions.action and rasa.core.actions.forms ({RESILIENT})")


# ----------------------------------------------------------------- the action server calls


def run(coroutine: Any) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def conversation(turns: int) -> Any:
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events: List[Any] = []
    for turn in range(turns):
        events += [ActionExecuted("action_listen"),
                   UserUttered(f"message {turn}", {"name": "greet", "confidence": 1.0}),
                   BotUttered(f"reply {turn}")]
    return DialogueStateTracker.from_events("guard", events, [])


def endpoint(**kwargs: Any) -> Any:
    from rasa.utils.endpoints import EndpointConfig

    return EndpointConfig("http://actions.invalid/webhook", **kwargs)


def test_the_call_is_rasas_call_with_only_the_latest_events() -> None:
    import rasa
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain

    from rasa_server.action_calls.resilient import EVENTS_SENT, ResilientRemoteAction

    domain = Domain.empty()
    for selective in (True, False):
        config = endpoint(enable_selective_domain=selective)
        short = conversation(3)
        ours = ResilientRemoteAction("action_guard", config)._action_call_format(short, domain)
        assert ours == RemoteAction("action_guard", config)._action_call_format(short, domain), (
            f"RemoteAction._action_call_format builds another request now; {RESILIENT} copies it")
        assert ("domain" in ours) is not selective
    long = conversation(EVENTS_SENT)
    call = ResilientRemoteAction("action_guard", endpoint())._action_call_format(long, domain)
    assert call["next_action"] == "action_guard" and call["version"] == rasa.__version__
    assert call["tracker"]["events"] == [event.as_dict() for event in list(long.events)[-EVENTS_SENT:]]


def test_rasas_run_sends_our_call_and_validates_with_our_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from jsonschema import ValidationError
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet

    from rasa_server.action_calls import resilient

    checked: List[Any] = []
    original_check = resilient.validate_action_response
    monkeypatch.setattr(resilient, "validate_action_response",
                        lambda response: checked.append(response) or original_check(response))
    sent: List[Dict[str, Any]] = []
    answer: Dict[str, Any] = {"events": [{"event": "slot", "name": "topic", "value": "red notice"}],
                              "responses": []}

    async def request(**kwargs: Any) -> Dict[str, Any]:
        sent.append(kwargs["json"])
        return answer

    config = endpoint()
    config.request = request  # type: ignore[method-assign]
    action = resilient.ResilientRemoteAction("action_guard", config)
    tracker = conversation(resilient.EVENTS_SENT)
    nlg = TemplatedNaturalLanguageGenerator({})
    events = run(action.run(CollectingOutputChannel(), nlg, tracker, Domain.empty()))

    assert events == [SlotSet("topic", "red notice")]
    assert len(sent) == 1 and len(sent[0]["tracker"]["events"]) == resilient.EVENTS_SENT, (
        "RemoteAction.run no longer sends _action_call_format's request")
    assert checked == [answer], "RemoteAction.run no longer checks the response with _validate_action_result"
    answer["events"] = [{"event": "no such event"}]
    with pytest.raises(ValidationError):
        run(action.run(CollectingOutputChannel(), nlg, tracker, Domain.empty()))


def test_an_action_server_that_cannot_be_reached_gets_the_apology() -> None:
    """Rasa turns a connection failure into a RasaException, which ResilientRemoteAction catches."""
    import aiohttp
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain

    from rasa_server.action_calls.resilient import APOLOGY_RESPONSE, ResilientRemoteAction

    async def request(**kwargs: Any) -> Any:
        raise aiohttp.ClientConnectionError("connection refused")

    config = endpoint()
    config.request = request  # type: ignore[method-assign]
    nlg = TemplatedNaturalLanguageGenerator({APOLOGY_RESPONSE: [{"text": "Sorry, call us."}]})
    events = run(ResilientRemoteAction("action_guard", config).run(
        CollectingOutputChannel(), nlg, conversation(1), Domain.empty()))
    assert [(event.text, event.metadata.get("utter_action")) for event in events] == [
        ("Sorry, call us.", APOLOGY_RESPONSE)]


# ------------------------------------------------------------------ how Rasa builds our classes


def test_rasa_builds_the_tracker_store_from_endpoints_yml(tmp_path: Path) -> None:
    """Rasa falls back to an in-memory store (a warning only) when it cannot build ours."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain

    from rasa_server.stores.tracker_store import ErasableSQLTrackerStore

    config = endpoint(type="rasa_server.stores.tracker_store.ErasableSQLTrackerStore", cache_events=10)
    config.url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = TrackerStore.create(config, Domain.empty())
    assert isinstance(store, ErasableSQLTrackerStore), f"Rasa built {type(store).__name__} ({TRACKER_STORE})"
    assert store.cache.max_events == 10 and store.domain is not None
    assert {"sender_id", "type_name", "timestamp", "intent_name", "action_name", "data"} <= set(
        store.SQLEvent.__table__.c.keys()), "SQLTrackerStore.SQLEvent's columns changed (_row writes them)"


class FakeRedis:
    """The few redis-py calls Rasa's RedisLockStore and AtomicRedisLockStore make."""

    def __init__(self) -> None:
        self.data: Dict[str, bytes] = {}

    def get(self, key: str) -> Optional[bytes]:
        return self.data.get(key)

    def set(self, key: str, value: str) -> None:
        self.data[key] = value.encode()

    def delete(self, key: str) -> int:
        return int(self.data.pop(key, None) is not None)

    def pipeline(self) -> "FakePipeline":
        return FakePipeline(self)


class FakePipeline:
    def __init__(self, red: FakeRedis) -> None:
        self.red, self.queued = red, []

    def __enter__(self) -> "FakePipeline":
        return self

    def __exit__(self, *_: Any) -> None:
        return None

    def watch(self, key: str) -> None:
        pass

    def get(self, key: str) -> Optional[bytes]:
        return self.red.get(key)

    def multi(self) -> None:
        pass

    def set(self, key: str, value: str) -> None:
        self.queued.append((self.red.set, key, value))

    def delete(self, key: str) -> None:
        self.queued.append((self.red.delete, key))

    def execute(self) -> None:
        for call, *args in self.queued:
            call(*args)


def test_rasa_builds_the_lock_store_and_its_waiting_loop_fits_ours() -> None:
    """Rasa's _acquire_lock reads the lock our transactions write, returns it when it is our
    turn, and raises LockError when the lock vanished while waiting (what the channels'
    apology relies on)."""
    from rasa.core.lock import TicketLock
    from rasa.core.lock_store import LockError, LockStore

    from rasa_server.stores.lock_store import AtomicRedisLockStore

    store = LockStore.create(endpoint(type="rasa_server.stores.lock_store.AtomicRedisLockStore",
                                      key_prefix="guard"))
    assert isinstance(store, AtomicRedisLockStore) and store.key_prefix.startswith("guard:")
    store.red = FakeRedis()  # redis-py connects lazily: nothing was contacted

    async def scenario() -> None:
        async with store.lock("first", wait_time_in_seconds=0.01) as lock:
            assert isinstance(lock, TicketLock) and lock.conversation_id == "first"
            assert store.get_lock("first") is not None  # Rasa's read of our write
        assert store.red.data == {}, "the finished ticket's lock was not removed"

        store.issue_ticket("second")  # someone else holds it
        waiting = asyncio.ensure_future(store.lock("second", wait_time_in_seconds=0.01).__aenter__())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        store.red.data.clear()  # the lock vanished (Redis restarted)
        with pytest.raises(LockError):
            await asyncio.wait_for(waiting, 2)

    run(scenario())


def test_rasa_builds_the_response_generator_from_endpoints_yml() -> None:
    from rasa.core.nlg import NaturalLanguageGenerator
    from rasa.shared.core.domain import Domain

    from rasa_server.nlg import FirmDetailsNLG

    domain = Domain.from_dict({"responses": {"utter_guard": [{"text": "hi"}]}})
    nlg = NaturalLanguageGenerator.create(endpoint(type="rasa_server.nlg.FirmDetailsNLG"), domain)
    assert isinstance(nlg, FirmDetailsNLG) and "utter_guard" in nlg.responses, NLG


# --------------------------------------------------------------------------------- channels


def test_the_agent_is_where_the_channels_apology_looks_for_it() -> None:
    """rest.py, slack.py and socketio.py render the apology with `app.ctx.agent`."""
    import rasa.core.run
    import rasa.server

    assert "app.ctx.agent = " in inspect.getsource(rasa.core.run.load_agent_on_start), (
        f"Rasa no longer keeps the agent in app.ctx.agent ({LOCK_STORE}.handle_or_apologise's callers)")
    assert "app.ctx.agent = " in inspect.getsource(rasa.server.create_app)


def test_the_socketio_guard_sits_in_front_of_engineio() -> None:
    from engineio.async_socket import AsyncSocket

    from rasa_server.channels import socketio

    channel = socketio.GuardedSocketIOInput.from_credentials(
        {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True})

    async def handler(message: Any) -> None:
        pass

    channel.blueprint(handler)
    eio = channel.sio.eio
    assert eio.handle_request.__name__ == "guarded_handle_request", (
        "SocketIOInput.blueprint no longer leaves its AsyncServer in self.sio")
    assert isinstance(eio.sockets, dict) and isinstance(eio.max_http_buffer_size, int)
    sock = AsyncSocket(eio, "sid")
    assert (sock.closed, sock.connected, sock.upgraded) == (False, False, False)
    assert "wait" in parameter_names(AsyncSocket.close)

    def request(body: bytes) -> Any:
        return SimpleNamespace(headers={"content-length": str(len(body))}, body=body)

    assert socketio._refused(eio, request(b"2")) == "packet type PING from a client"
    assert socketio._refused(eio, request(b"4hello\x1e6")) == "packet type NOOP from a client"
    assert socketio._refused(eio, request(b"4hello\x1e1")) is None
    assert socketio._refused(eio, request(b"4" * (eio.max_http_buffer_size + 1))).startswith("body of")


def test_the_slack_channel_reads_rasas_settings_and_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa_server.channels import slack

    monkeypatch.setenv(slack.TOKEN_ENV, "xoxb-guard")
    monkeypatch.setenv(slack.SIGNING_SECRET_ENV, "secret")
    monkeypatch.setenv(slack.API_URL_ENV, "http://slack.invalid/api")
    channel = slack.EnvSlackInput.from_credentials({"conversation_granularity": "thread"})
    assert (channel.slack_token, channel.slack_signing_secret, channel.retry_num_header,
            channel.retry_reason_header, tuple(channel.errors_ignore_retry)) == (
        "xoxb-guard", "secret", "x-slack-retry-num", "x-slack-retry-reason", ("http_timeout",)), SLACK
    assert channel._get_conversation_id("U1", "C1", "T1") == "U1_C1_T1"
    assert channel._sanitize_user_message("<@UBOT> is Serbia a member?", ["UBOT"]) == "is Serbia a member?"
    assert channel._is_user_message({"event": {"type": "message", "text": "hi", "user": "U1"}})
    bot = channel.get_output_channel("C1", "T1")
    assert isinstance(bot, slack.ConfigurableSlackBot)
    assert (bot.slack_channel, bot.thread_id, bot.client.base_url) == ("C1", "T1", "http://slack.invalid/api/")


# ------------------------------------------------------------------------------------ NLU


def test_rasas_classifier_predicts_from_the_overridden_matrix() -> None:
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    assert "_create_X" in global_names(LogisticRegressionClassifier.process), (
        f"LogisticRegressionClassifier.process no longer builds its matrix with _create_X ({CLASSIFIER})")


def test_scikit_learn_scores_with_the_transposed_weights() -> None:
    """intent_classifier.py keeps coef_ in Fortran order so that this transpose is not copied."""
    from sklearn.linear_model._base import LinearClassifierMixin

    assert "self.coef_.T" in inspect.getsource(LinearClassifierMixin.decision_function), CLASSIFIER


# -------------------------------------------------------------------------------- rasa-sdk


def test_the_action_servers_webhook_does_no_more_than_the_in_process_executor() -> None:
    """in_process.py stands for rasa-sdk's webhook: the executor's answer as it is, a rejection
    as a 400 (a rejection for Rasa), any other exception as a 500 (a failure)."""
    import rasa_sdk.endpoint

    source = inspect.getsource(rasa_sdk.endpoint.create_app)
    body = source[source.index("async def webhook"):source.index('@app.get("/actions")')]
    for expected in ("result = await executor.run(action_call)", "except ActionExecutionRejection",
                     "status=400", "except ActionNotFoundException", "return response.json(result, status=200)"):
        assert expected in body, f"rasa-sdk's webhook changed ({expected!r}); {IN_PROCESS} copies it"
    assert body.count("except ") == 2, f"rasa-sdk's webhook handles more failures; {IN_PROCESS} copies it"


def test_endpoints_yml_settings_rasa_does_not_know_reach_the_action(tmp_path: Path) -> None:
    """``actions_module`` is not a Rasa setting: Rasa must keep it in the endpoint's kwargs."""
    from rasa.core.utils import AvailableEndpoints

    from rasa_server.action_calls.in_process import actions_module

    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("action_endpoint:\n  actions_module: actions\n  enable_selective_domain: true\n")
    action = AvailableEndpoints.read_endpoints(str(endpoints)).action
    assert actions_module(action) == "actions", f"Rasa drops unknown endpoint settings; {IN_PROCESS}"
    assert action.url is None and action.kwargs["enable_selective_domain"] is True


@pytest.mark.parametrize("argv", [["run"], ["shell"]])
def test_the_serving_commands_are_the_functions_rasa_parses_them_to(argv: List[str]) -> None:
    """rasa_server/__main__.py starts the in-process actions for these commands only."""
    from rasa.__main__ import create_argument_parser

    from rasa_server.__main__ import SERVING_COMMANDS

    args = create_argument_parser().parse_args(argv)
    assert (args.func.__module__, args.func.__name__) in SERVING_COMMANDS, (
        f"`rasa {argv[0]}` is now {args.func}; {ENTRY} would not start the in-process actions")
    assert args.endpoints == "endpoints.yml"


def test_the_action_server_arguments_are_the_ones_main_from_args_reads() -> None:
    import rasa_sdk.__main__
    from rasa_sdk.endpoint import create_argument_parser

    args = create_argument_parser().parse_args([])
    source = inspect.getsource(rasa_sdk.__main__.main_from_args)
    assert hasattr(args, "actions") and "args.actions" in source, (
        f"rasa-sdk no longer takes the actions package from args.actions ({ACTION_SERVER})")

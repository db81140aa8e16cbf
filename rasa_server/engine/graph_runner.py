"""Rasa's model graph run node after node, without rebuilding its plan for every message.

At every message Rasa runs its model graph three or four times (the NLU once, the
policies once per predicted action), and each run recomputes the sub-graph it needs, builds
a dask task graph from it and lets dask's scheduler order and run it: about a tenth of a
message's time here, for graphs of ten nodes that run one after the other anyway. This
runner works out the order of each set of targets once and then calls the same nodes with
the same inputs, as dask would (a dependency nobody provides is passed as its name, and
a RuntimeError still becomes a GraphRunError). Training keeps Rasa's dask runner.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

import rasa.core.processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner


class SequentialGraphRunner(DaskGraphRunner):
    """DaskGraphRunner's results, computed in a cached topological order."""

    def _order(self, targets: Tuple[Text, ...]) -> List[Tuple[Text, Tuple[Text, ...]]]:
        """(node, the nodes it needs) for every node the targets depend on, needs first."""
        if not hasattr(self, "_orders"):
            self._orders: Dict[Tuple[Text, ...], List[Tuple[Text, Tuple[Text, ...]]]] = {}
        if targets not in self._orders:
            nodes = self._graph_schema.nodes
            order: List[Tuple[Text, Tuple[Text, ...]]] = []
            done: set = set()

            def visit(name: Text) -> None:
                if name in done or name not in nodes:
                    return
                done.add(name)
                needs = tuple(nodes[name].needs.values())
                for dependency in needs:
                    visit(dependency)
                order.append((name, needs))

            for target in targets:
                visit(target)
            self._orders[targets] = order
        return self._orders[targets]

    def run(
        self,
        inputs: Optional[Dict[Text, Any]] = None,
        targets: Optional[List[Text]] = None,
    ) -> Dict[Text, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        results: Dict[Text, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none "
                    f"of the input names passed to the `run` method are the same as node "
                    f"names in the graph schema."
                )
            results[name] = (name, value)
        try:
            for name, needs in self._order(run_targets):
                if name not in results:
                    node = self._instantiated_nodes[name]
                    results[name] = node(*(results.get(need, need) for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)


def install() -> None:
    """The Rasa server's message processor loads its model with this runner."""
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]

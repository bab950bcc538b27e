"""The tables name real rules (checked when they load), and docs/failover.md is
rendered from the tables and the rules' docstrings."""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from pathlib import Path

import pytest

from hacore.api import GroupState
from hacore.failover import table as table_module
from hacore.failover.base import RulesBase, action, guard, rule_kind
from hacore.failover.doc import render
from hacore.failover.model import Ctx, NodeState, StandbyState
from hacore.failover.rules import Rules, described
from hacore.failover.table import EVENTS, NODE, TABLES, Row, Table, TableError

DOC = Path(__file__).resolve().parents[2] / "docs" / "failover.md"


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def test_every_rule_is_named_by_a_row() -> None:
    guards = {name for t in TABLES for row in t.rows for name, _ in row.guard_terms()}
    actions = {name for t in TABLES for row in t.rows for name, _ in row.calls()}
    assert set(described("guard")) == guards, "a @guard no row names"
    assert set(described("action")) == actions, "an @action no row names"


def _node_table_with(row: Row) -> Table:
    return Table("node", "test", NODE.state_descriptions, (row,))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            Row(("INIT",), "comm_up", None, ("send_startin",), "STARTING"),
            "failover node table, row (INIT | comm_up | -): action 'send_startin' is not "
            "a @action method of hacore.failover.rules.Rules",
        ),
        (
            Row(("INIT",), "comm_up", "legacy&!lonely", ("send_starting",), None),
            "failover node table, row (INIT | comm_up | legacy&!lonely): guard 'lonely' is "
            "not a @guard method of hacore.failover.rules.Rules",
        ),
        (
            Row(("*",), "comm_up", None, ("send_holdings",), None),
            "action 'send_holdings' is not a @action method",  # a helper, not a rule
        ),
        (
            Row(("*",), "comm_up", "send_starting", (), None),
            "guard 'send_starting' is not a @guard method",  # an action as a guard
        ),
        (Row(("*",), "comm_up", None, ("legacy",), None), "action 'legacy' is not a @action"),
        (Row(("INITIAL",), "comm_up", None, (), None), "unknown state 'INITIAL'"),
        (Row(("INIT",), "comm_up", None, (), "RUNNING"), "unknown state 'RUNNING'"),
        (Row(("NOT",), "peer_me", None, (), None), "'peer_me' is not an event of the node"),
        (Row(("INIT",), "comm_upp", None, (), None), "'comm_upp' is not an event of the node"),
    ],
)
def test_a_row_naming_what_does_not_exist_fails_at_construction(row: Row, message: str) -> None:
    with pytest.raises(TableError) as raised:
        _node_table_with(row)
    assert message in str(raised.value)


def test_a_table_module_with_a_bad_row_fails_to_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = Path(table_module.__file__).read_text()
    good = '["send_starting"], "STARTING"'
    assert source.count(good) == 1
    broken = tmp_path / "broken_table.py"
    broken.write_text(source.replace(good, '["send_startng"], "STARTING"'))
    spec = importlib.util.spec_from_file_location("broken_table", broken)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "broken_table", module)  # dataclasses look it up
    # The copy defines its own TableError class: match its base and its name.
    with pytest.raises(
        ValueError, match=r"row \(INIT \| comm_up \| -\): action 'send_startng'"
    ) as raised:
        spec.loader.exec_module(module)
    assert type(raised.value).__name__ == "TableError"


def test_a_rule_without_a_docstring_is_refused_where_it_is_defined() -> None:
    with pytest.raises(TypeError, match="failover action 'mute' has no docstring"):

        class _Undocumented(RulesBase):
            @action
            def mute(self, ctx: Ctx, arg: str) -> None:
                pass

    with pytest.raises(TypeError, match="failover guard 'quiet' has no docstring"):

        class _Undocumented2(RulesBase):
            @guard
            def quiet(self, ctx: Ctx) -> bool:
                return True


def test_no_mixin_shadows_a_name_of_another() -> None:
    """Every part of Rules defines its own names: a method can never be replaced silently."""
    seen: dict[str, str] = {}
    for part in Rules.__mro__[1:]:
        if part is object:
            continue
        for name in vars(part):
            if name.startswith("__"):
                continue
            assert name not in seen, f"{name} is defined in {seen[name]} and {part.__name__}"
            seen[name] = part.__name__


def test_table_states_are_the_engine_states() -> None:
    by_name = {t.name: set(t.state_descriptions) for t in TABLES}
    assert by_name == {
        "node": {s.value for s in NodeState},
        "standby": {s.value for s in StandbyState},
        "group": {s.value for s in GroupState},
    }


def test_no_row_is_shadowed_by_an_earlier_unguarded_row() -> None:
    for table in TABLES:
        for i, later in enumerate(table.rows):
            for earlier in table.rows[:i]:
                if earlier.event != later.event or earlier.guard is not None:
                    continue
                covered = earlier.states == ("*",) or (
                    later.states != ("*",) and set(later.states) <= set(earlier.states)
                )
                assert not covered, f"{later} can never fire after {earlier}"


def test_every_event_has_a_row() -> None:
    used = {row.event for table in TABLES for row in table.rows}
    assert used == set(EVENTS)


def test_committed_doc_is_rendered_from_the_tables() -> None:
    assert DOC.read_text() == render(), (
        "docs/failover.md is stale: run `python -m hacore.failover.doc > docs/failover.md`"
    )


def test_doc_shows_every_row() -> None:
    text = render()
    row_lines = re.findall(r"^\| [^|]+ \| `[a-z_]+` \|", text, flags=re.MULTILINE)
    assert len(row_lines) == sum(len(table.rows) for table in TABLES)
    assert "preferred node keeps it" in text and "What the operator does" in text


def test_each_guard_and_action_is_described_by_its_own_docstring() -> None:
    text = render()
    rules = [(name, m) for name, m in inspect.getmembers(Rules) if rule_kind(m) is not None]
    assert len(rules) == len(described("guard")) + len(described("action"))
    for name, method in rules:
        doc = inspect.getdoc(method)
        assert doc, name
        assert f"| `{name}` | {_one_line(doc)} |\n" in text, name


def test_doc_states_the_safety_rule_from_reconcile() -> None:
    doc = inspect.getdoc(RulesBase.reconcile)
    assert doc is not None and "Safety rule" in doc
    assert f"### After every event: `reconcile`, the start/stop safety rule\n\n{doc}\n" in render()

"""The tables are consistent data, and docs/failover.md is rendered from them."""

from __future__ import annotations

import re
from pathlib import Path

from hacore.failover import machine  # noqa: F401  (registers guards and actions)
from hacore.failover.doc import render
from hacore.failover.registry import ACTION_FUNCTIONS, GUARD_FUNCTIONS
from hacore.failover.table import ACTIONS, EVENTS, GUARDS, TABLES, Table

DOC = Path(__file__).resolve().parents[2] / "docs" / "failover.md"


def _names(table: Table) -> tuple[set[str], set[str]]:
    guards = {term.lstrip("!") for row in table.rows if row.guard for term in row.guard.split("&")}
    actions = {name.partition(":")[0] for row in table.rows for name in row.actions}
    return guards, actions


def test_every_name_is_implemented_and_described() -> None:
    used_guards: set[str] = set()
    used_actions: set[str] = set()
    for table in TABLES:
        guards, actions = _names(table)
        used_guards |= guards
        used_actions |= actions
    assert used_guards == set(GUARD_FUNCTIONS) == set(GUARDS)
    assert used_actions == set(ACTION_FUNCTIONS) == set(ACTIONS)


def test_rows_name_real_states_and_events_of_their_table() -> None:
    for table in TABLES:
        for row in table.rows:
            assert EVENTS[row.event][0] == table.name, row
            for state in row.states:
                assert state == "*" or state in table.state_descriptions, row
            assert row.next is None or row.next in table.state_descriptions, row


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

"""contrib/: the alert rules and the Grafana dashboard, checked with promtool.

Alerts are not only syntax-checked: ``promtool test rules`` feeds them series and
asserts which alerts fire. Every metric name used in the dashboard or the rules must
exist in a real exposition, so a renamed metric cannot leave a silent dashboard.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hacore.v1 import hacore_pb2 as pb
from hactl.client import Exit
from tests.control.test_control_metrics import populated, promtool

REPO = Path(__file__).resolve().parents[2]
ALERTS = REPO / "contrib/prometheus/alerts.yml"
DASHBOARD = REPO / "contrib/grafana/hacore.json"
METRIC = re.compile(r"\bhacore_[a-z_]+")


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], capture_output=True, text=True, timeout=30, check=False
    )


def exported_names() -> set[str]:
    body = populated().render()[0].decode()
    return {
        line.split("{")[0].split(" ")[0] for line in body.splitlines() if line.startswith("hacore_")
    }


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def dashboard_exprs() -> list[str]:
    data = dashboard()
    exprs = [t["expr"] for p in data["panels"] for t in p.get("targets", [])]
    exprs += [a["expr"] for a in data["annotations"]["list"] if "expr" in a]
    return exprs


def test_alert_rules_pass_promtool_check() -> None:
    result = run_promtool("check", "rules", str(ALERTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 14 rules found" in result.stdout


ALERT_TESTS = Path(__file__).parent / "control_alerts_test.yml"


def test_alerts_fire_per_cluster_on_split_brain_dead_node_link_failover_and_down() -> None:
    result = run_promtool("test", "rules", str(ALERT_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_dashboard_structure_imports_cleanly() -> None:
    data = dashboard()
    assert data["uid"] == "hacore-cluster" and data["title"] == "hacore cluster"
    assert data["__inputs"][0]["name"] == "DS_PROMETHEUS"
    ids = [p["id"] for p in data["panels"]]
    assert len(ids) == len(set(ids))
    titles = {p["title"] for p in data["panels"]}
    for needed in (
        "Node status (as seen by each instance)",
        "Heartbeat links",
        "Group holder",
        "Failovers",
        "Resource action latency (p95)",
        "Heartbeats received per second",
        "Late heartbeats and lost packets",
        "Authentication failures and dropped packets",
        "Monitor failures",
        "Restarts in place",
        "Fail counts and groups given up",
        "Monitor check duration",
    ):
        assert needed in titles
    for panel in data["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}"
            assert panel["targets"], panel["title"]
            assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"])


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """promtool parses every panel query (Grafana variables replaced by literals)."""
    records: list[dict[str, str]] = []
    for i, expr in enumerate(dashboard_exprs()):
        concrete = (
            expr.replace("$__rate_interval", "1m")
            .replace("$__range", "1h")
            .replace("$instance", ".*")
        )
        assert "$" not in concrete, expr
        records.append({"record": f"dashboard:query{i}", "expr": concrete})
    rules = {"groups": [{"name": "dashboard", "rules": records}]}
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(json.dumps(rules))  # JSON is YAML
    result = run_promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("source", ["dashboard", "alerts"])
def test_every_metric_referenced_exists(source: str) -> None:
    text = DASHBOARD.read_text() if source == "dashboard" else ALERTS.read_text()
    referenced = set(METRIC.findall(text))
    assert referenced
    missing = referenced - exported_names()
    assert not missing, f"{source} uses metrics hacore does not export: {sorted(missing)}"


def test_docs_cover_every_metric_method_and_exit_code() -> None:
    docs = (REPO / "docs/api.md").read_text()
    for name in exported_names():
        base = re.sub(r"_(bucket|count|sum|created)$", "", name)  # histogram/counter parts
        assert f"`{base}`" in docs or f"`{base}_total`" in docs, name
    for method in pb.DESCRIPTOR.services_by_name["Cluster"].methods_by_name:
        assert f"| `{method}` |" in docs, method
    for code in Exit:
        assert f"| {int(code)} |" in docs, code


def test_dashboard_picks_a_cluster_then_its_instances() -> None:
    """Several clusters in one Prometheus: the instance list follows the chosen cluster."""
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    assert list(variables) == ["cluster", "instance"]
    assert variables["cluster"]["query"]["query"] == "label_values(hacore_info, cluster)"
    assert 'cluster=~"$cluster"' in variables["instance"]["query"]["query"]

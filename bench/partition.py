"""Benchmark 5: the heartbeat link is cut for a few seconds, then restored.

Both nodes declare each other dead and take the VIP (split brain); what matters is what
happens when the link returns: how long until exactly one node holds the VIP (stable for
``plan.stable_s``) and how long the client gets no answer.  keepalived has no heartbeat
link (VRRP runs on the LAN), so the test does not apply to it.
"""

from __future__ import annotations

from bench.analysis import relative_timeline, settled_single_holder, split_onset
from bench.common import (
    COLD_START_TIMEOUT_S,
    NotApplicable,
    StepTimeout,
    Trial,
    client_timeline,
    now,
    settle,
)
from bench.plan import FAST, Plan
from halab.watcher import longest_gap

HEAL_TIMEOUT_S = 120.0


def partition(trial: Trial, plan: Plan) -> None:
    if trial.daemon == "keepalived":
        raise NotApplicable("keepalived has no heartbeat link: VRRP adverts use the LAN")
    with trial.lab(FAST) as lab:
        prober = lab.watch()
        lab.start()
        lab.wait_serving("node1", COLD_START_TIMEOUT_S)
        settle(plan.settle_s)
        sampler = lab.sample_vip(0.02)
        cut = now()
        lab.partition()
        settle(plan.partition_hold_s)
        heal = now()
        lab.heal()
        settled = None
        while settled is None:
            lab.check_daemons()
            settled = settled_single_holder(sampler.changes, heal, now(), plan.stable_s)
            if settled is None and now() - heal > HEAL_TIMEOUT_S:
                raise StepTimeout(
                    f"no single stable VIP holder {HEAL_TIMEOUT_S:g} s after the heal; "
                    f"holders: {relative_timeline(sampler.changes, heal)}"
                )
            settle(0.1)
        end = now()
        sampler.stop()
        one_holder_at, holder = settled
        split = split_onset(sampler.changes, cut)
        trial.metrics["split_after_cut_s"] = None if split is None else split - cut
        trial.metrics["one_holder_after_heal_s"] = one_holder_at - heal
        trial.metrics["outage_after_heal_s"] = longest_gap(prober.probes(), heal, end)
        trial.detail.update(
            final_holder=holder,
            hold_s=plan.partition_hold_s,
            holders_after_cut=relative_timeline(sampler.changes, cut),
            heal_at_s=round(heal - cut, 3),
            client_after_heal=client_timeline(prober, heal, end),
        )

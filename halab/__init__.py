"""The hacore lab: a whole cluster on one machine, in network namespaces (``halab``).

A tool beside the daemon, not part of it: nothing in ``hacore`` imports it.
topology (the seed's network) - holder (per-node init) - labnode (commands in a node) -
configs (per-node ha.cf) - daemons (hacore, heartbeat, keepalived) - faults - prober and
watcher (what the client sees) - state (cleanup after crashes) - lab (all of it) -
demo, cli. The pytest fixtures that build labs live in tests/conftest.py.
"""

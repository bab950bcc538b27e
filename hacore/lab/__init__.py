"""The hacore lab: a whole cluster on one machine, in network namespaces (``halab``).

topology (the seed's network) - holder (per-node init) - node (commands in a node) -
configs (per-node ha.cf) - daemons (hacore, heartbeat, keepalived) - faults - prober and
watcher (what the client sees) - state (cleanup after crashes) - lab (all of it) -
demo, cli, fixtures (pytest).
"""

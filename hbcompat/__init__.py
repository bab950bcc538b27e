"""Heartbeat 3.0.6's own command-line tools on top of hacore: ``cl_status``,
``hb_standby`` and ``hb_takeover``, same arguments, output and exit codes (docs/api.md)."""

"""Tests of the heartbeat media plugins (ucast, bcast, mcast, serial)."""

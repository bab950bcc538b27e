"""Tests: seed."""

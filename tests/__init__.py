"""hacore test suite: a package tree so helpers are imported by their full names."""

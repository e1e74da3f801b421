"""Use cases: plain functions that take their dependencies (store, bus, planner) as arguments."""

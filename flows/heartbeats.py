"""Flow runs without heartbeats of their own, where nothing needs them.

Prefect joins a flow run's heartbeat thread at the end of the run, and the thread sleeps by whole seconds: measured
against a running server, a trivial flow run takes 1.1 s with heartbeats and 0.2 s without. A subflow needs none
(its parent's cover the process), nor does a run the command line starts (a command killed is told by the run
history); the runs a worker starts keep them, for whoever watches them.
"""
from __future__ import annotations

from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings


def without_heartbeats():
    """A settings context in which the flow runs started send no heartbeats."""
    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})

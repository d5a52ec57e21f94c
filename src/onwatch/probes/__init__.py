"""Probes: checks that visit a target the way a first-time user does and time each phase."""

from onwatch.probes.base import CheckResult, FailureClass

__all__ = ["CheckResult", "FailureClass"]

"""The policy file: what the team agreed, as validated, immutable data.

``load_policy(path)`` returns a :class:`Policy` or raises :class:`PolicyError`
whose ``issues`` each name ``file:line:col``, the key path and what was expected.
"""

from onwatch.policy.issues import Issue, PolicyError
from onwatch.policy.loader import load_policy, parse_policy
from onwatch.policy.models import Channel, Contact, Policy, PolicySettings, Retention, Service
from onwatch.policy.schema import policy_json_schema
from onwatch.policy.secrets import SecretRef

__all__ = [
    "Channel",
    "Contact",
    "Issue",
    "Policy",
    "PolicyError",
    "PolicySettings",
    "Retention",
    "SecretRef",
    "Service",
    "load_policy",
    "parse_policy",
    "policy_json_schema",
]

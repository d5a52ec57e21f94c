"""The agreement as one value: every service's promises, the standing now, review and history.

:func:`build_document` is pure: the policy, the latest evaluations and the
recorded history in, an :class:`AgreementDocument` out. The ``/agreement`` page,
the share link and ``onwatch agreement --format md|html`` all render this one
value, so they can never disagree about what was agreed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from onwatch.agreement.phrases import promise, recovery_promise
from onwatch.policy.models import Policy
from onwatch.slo.budget import budget_words
from onwatch.slo.model import Evaluation, ObjectiveSpec, Standing
from onwatch.slo.specs import objective_specs
from onwatch.store.agreement_log import AgreementChange

NOT_MEASURED = "not yet measured"
"""What the agreement says about data loss and restore time until restore drills measure them."""


@dataclass(frozen=True)
class ObjectiveLine:
    """One agreed number and how it stands now."""

    spec: ObjectiveSpec
    promise: str
    evaluation: Evaluation | None
    """None until the evaluator has looked at it (or when it is not running)."""
    excluded_for: tuple[str, ...] = ()
    """Reasons of the maintenance windows behind the excluded time."""

    @property
    def standing(self) -> Standing | None:
        return None if self.evaluation is None else self.evaluation.standing

    @property
    def budget(self) -> str:
        """``31 minutes of downtime left this month``, or why there is no figure yet."""
        if self.evaluation is None or self.evaluation.standing.events == 0:
            return "no checks counted yet"
        return budget_words(self.evaluation.standing, self.spec)

    @property
    def alerting(self) -> tuple[str, ...]:
        """Names of the burn-rate tiers firing now (``page-1h``)."""
        if self.evaluation is None:
            return ()
        return tuple(state.tier.name for state in self.evaluation.firing)


@dataclass(frozen=True)
class ServiceSection:
    """A service's promises, owner and recovery numbers."""

    name: str
    title: str
    owner: str | None
    description: str
    objectives: tuple[ObjectiveLine, ...]
    recovery: str | None
    """Data loss and restore time in one sentence, or None when not agreed."""
    recovery_status: str = NOT_MEASURED


@dataclass(frozen=True)
class Signatory:
    name: str
    role: str | None


@dataclass(frozen=True)
class Review:
    """Who agreed, when, and when the numbers are due for review."""

    agreed_by: tuple[Signatory, ...]
    agreed_on: date
    review_every_days: int
    due: date
    today: date

    @property
    def overdue(self) -> bool:
        return self.today > self.due

    @property
    def days_left(self) -> int:
        return (self.due - self.today).days

    @property
    def summary(self) -> str:
        """``Review due in 12 days (on 2027-01-31)`` or ``Review overdue by 3 days ...``."""
        if self.overdue:
            return f"Review overdue by {-self.days_left} days (was due on {self.due.isoformat()})"
        if self.days_left == 0:
            return f"Review due today ({self.due.isoformat()})"
        return f"Review due in {self.days_left} days (on {self.due.isoformat()})"


@dataclass(frozen=True)
class AgreementDocument:
    generated_at: float
    timezone: str
    services: tuple[ServiceSection, ...]
    review: Review | None
    history: tuple[AgreementChange, ...] = field(default=())
    """Changes of agreed numbers, newest first (first recordings left out)."""
    first_recorded: AgreementChange | None = None
    """The earliest recording: when onwatch first saw these numbers, and in which policy."""

    @property
    def local_date(self) -> str:
        moment = datetime.fromtimestamp(self.generated_at, UTC).astimezone(ZoneInfo(self.timezone))
        return moment.strftime("%Y-%m-%d %H:%M %Z")


def review_of(policy: Policy, now: float) -> Review | None:
    """The policy's ``agreement:`` block as a :class:`Review` (None when the policy has none)."""
    agreement = policy.agreement
    if agreement is None:
        return None
    zone = ZoneInfo(policy.settings.timezone)
    today = datetime.fromtimestamp(now, UTC).astimezone(zone).date()
    return Review(
        agreed_by=tuple(Signatory(person.name, person.role) for person in agreement.agreed_by),
        agreed_on=agreement.agreed_on,
        review_every_days=agreement.review_every.days,
        due=agreement.review_due(),
        today=today,
    )


def build_document(
    policy: Policy,
    evaluations: Mapping[str, Evaluation],
    now: float,
    history: Sequence[AgreementChange] = (),
    excluded_for: Mapping[str, Sequence[str]] | None = None,
) -> AgreementDocument:
    """Every service with its promises in plain words and the standing from ``evaluations``
    (keyed by ``service/name``); ``history`` is every recorded change, newest first;
    ``excluded_for`` the maintenance reasons behind each objective's excluded time."""
    specs: dict[str, list[ObjectiveSpec]] = {}
    for spec in objective_specs(policy):
        specs.setdefault(spec.service, []).append(spec)
    sections = []
    for service in policy.services:
        lines = tuple(
            ObjectiveLine(
                spec,
                promise(spec),
                evaluations.get(spec.key),
                tuple((excluded_for or {}).get(spec.key, ())),
            )
            for spec in specs.get(service.name, ())
        )
        objectives = service.objectives
        recovery = recovery_promise(
            service.display_name,
            _seconds(objectives.data_loss),
            _seconds(objectives.restore_time),
        )
        sections.append(
            ServiceSection(
                name=service.name,
                title=service.display_name,
                owner=service.owner,
                description=service.description,
                objectives=lines,
                recovery=recovery,
            )
        )
    changes = tuple(
        entry for entry in history if entry.old_value is not None or entry.new_value is None
    )
    return AgreementDocument(
        generated_at=now,
        timezone=policy.settings.timezone,
        services=tuple(sections),
        review=review_of(policy, now),
        history=changes,
        first_recorded=min(history, key=lambda entry: entry.changed_at, default=None),
    )


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if isinstance(value, timedelta) else None

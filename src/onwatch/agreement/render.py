"""The agreement written out: Markdown for wikis and chat, HTML for the page and for files.

The HTML comes from the same template as the ``/agreement`` page
(``agreement/body.html``); the standalone file inlines the stylesheet so it
reads the same when opened from a disk or an e-mail attachment.
"""

from __future__ import annotations

from datetime import UTC, datetime

from onwatch.agreement.document import AgreementDocument, ObjectiveLine
from onwatch.web.templating import STYLESHEET, duration, percent, templates


def html(document: AgreementDocument) -> str:
    """A self-contained HTML page."""
    template = templates.env.get_template("agreement/standalone.html")
    return template.render(document=document, stylesheet=STYLESHEET.read_text(encoding="utf-8"))


def markdown(document: AgreementDocument) -> str:
    """The agreement as Markdown: one section per service, then the history."""
    lines = [
        "# Reliability agreement",
        "",
        f"As of {document.local_date}. Times of day are {document.timezone}.",
        "",
    ]
    review = document.review
    if review is None:
        lines += ["Nobody has signed these numbers yet (no `agreement:` block in the policy).", ""]
    else:
        people = ", ".join(
            f"{person.name} ({person.role})" if person.role else person.name
            for person in review.agreed_by
        )
        lines += [
            f"Agreed on {review.agreed_on.isoformat()} by {people}. "
            f"Reviewed every {review.review_every_days} days.",
            "",
            f"**{review.summary}.**",
            "",
        ]
    for section in document.services:
        lines += [f"## {section.title}", ""]
        intro = " ".join(
            part
            for part in (f"Owner: {section.owner}." if section.owner else "", section.description)
            if part
        )
        if intro:
            lines += [intro, ""]
        if section.objectives:
            lines += [
                "| we agreed | now | error budget | excluded and lenient time |",
                "| --- | --- | --- | --- |",
            ]
            lines += [_objective_row(line) for line in section.objectives]
            lines.append("")
        else:
            lines += ["No objectives agreed for this service yet.", ""]
        if section.recovery:
            lines += [f"{section.recovery} ({section.recovery_status})", ""]
    first = document.first_recorded
    if first is not None:
        since = "changed since:" if document.history else "none has changed since."
        lines += [
            "## Changes to the agreed numbers",
            "",
            f"onwatch first recorded these numbers on {_utc(first.changed_at)} UTC "
            f"(policy `{first.policy_hash[:10]}`); {since}",
            "",
        ]
    if document.history:
        lines += [
            "| when (UTC) | what | before | after | by |",
            "| --- | --- | --- | --- | --- |",
        ]
        for entry in document.history:
            lines.append(
                f"| {_utc(entry.changed_at)} | {_cell(entry.item)} | {_cell(entry.old_value or '—')} "
                f"| {_cell(entry.new_value or '(removed)')} | {_cell(entry.author or '—')} |"
            )
        lines.append("")
    return "\n".join(lines)


def _objective_row(line: ObjectiveLine) -> str:
    standing = line.standing
    if standing is None or standing.sli is None:
        now = "no checks counted yet"
    else:
        windows = [standing, *(line.evaluation.also if line.evaluation else ())]
        now = "; ".join(f"{percent(s.sli, 3)} over {s.window.label}" for s in windows)
    budget = line.budget
    if standing is not None and standing.budget_remaining is not None:
        left = percent(standing.budget_remaining, 1) if standing.budget_remaining > 0 else "none"
        budget = f"{left} left: {budget}"
    if line.alerting:
        budget += f" (burning: {', '.join(line.alerting)})"
    return f"| {_cell(line.promise)} | {now} | {_cell(budget)} | {_excluded(line)} |"


def _excluded(line: ObjectiveLine) -> str:
    standing = line.standing
    if standing is None:
        return "—"
    parts = []
    if standing.excluded_seconds:
        why = f" ({'; '.join(line.excluded_for)})" if line.excluded_for else ""
        parts.append(f"maintenance: {duration(standing.excluded_seconds)} excluded{why}")
    if standing.lenient_seconds:
        forgiven = f", {standing.excused_bad:,} bad checks forgiven" if standing.excused_bad else ""
        parts.append(f"lenient: {duration(standing.lenient_seconds)}{forgiven}")
    return "; ".join(parts) or "none"


def _cell(text: str) -> str:
    """Table cells may not hold pipes or line breaks."""
    return text.replace("|", "\\|").replace("\n", " ")


def _utc(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M")

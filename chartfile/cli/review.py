"""``chartfile review``: the queue of documents a clerk must place, and the decisions on them.

Every command names its item either by the review number ``12`` (as ``review
list`` shows it, ``#12``) or by the document ``D9`` — the document id every
other command and the search results show.  List lines fit 80 columns.
"""

from __future__ import annotations

import json
import re
from typing import Any

import click

from chartfile.cli.context import AppContext, pass_app
from chartfile.cli.params import REF
from chartfile.service import review as service
from intake.textwidth import WIDTH, fit

REF_HELP = "ITEM is the review number (12) or the document (D9)."
_COMMAND = re.compile(r"""[:,]?\s*(?:and\s+)?(?:run|then)?\s*'(chartfile [^']+)'""")


def _next_step(reasons: list[str]) -> tuple[list[str], str | None]:
    """Reasons without the command they quote, and that command (shown on its own line, never cut)."""
    command = None
    out = []
    for reason in reasons:
        m = _COMMAND.search(reason)
        if m and command is None:
            command = m.group(1)
            reason = (reason[:m.start()] + reason[m.end():]).strip(" :;,")
        out.append(reason)
    return out, command


def item_lines(r: dict[str, Any]) -> list[str]:
    """Two or three lines (each at most 80 columns) for one review item."""
    first, last = r["pages"]
    pages = f"p{first}-{last}" if first != last else f"p{first}"
    head = (f"#{r['review_id']:<4} D{r['document_id']:<5} {'URGENT ' if r['urgent'] else ''}{r['doc_type']} "
            f"{r['doc_date'] or 'no date'} {pages}")
    lines = [fit(f"{head} from {r.get('sender') or r['source']}", WIDTH)]
    best = r["candidates"][0] if r["candidates"] else None
    cand = f"best {best['mrn']} ({best['grade']}, {best['score']})" if best else "no candidate"
    reasons, command = _next_step(list(r["reasons"]))
    lines.append(fit(f"      {cand}: {'; '.join(reasons) or '-'}" if r["kind"] != "roi_draft"
                     else f"      {'; '.join(reasons)}", WIDTH))
    if command:
        lines.append(fit(f"      next: {command}", WIDTH))
    return lines


@click.group("review")
def review() -> None:
    """Documents waiting for a clerk (urgent first, then oldest). Items are named 12 or D9."""


@review.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array ([] when the queue is empty).")
@pass_app
def list_cmd(app: AppContext, as_json: bool) -> None:
    """Open review items, urgent first, then oldest."""
    rows = service.review_list(app.office, app.actor)
    if as_json:  # one JSON document: an array, [] when the queue is empty (README, "JSON output")
        click.echo(json.dumps(rows, default=str))
        return
    if not rows:
        click.echo("The review queue is empty.")
    for r in rows:
        click.echo("\n".join(item_lines(r)))


@review.command("show")
@click.argument("ref", type=REF, metavar="ITEM")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def show_cmd(app: AppContext, ref: str, as_json: bool) -> None:
    """Candidates with per-field evidence, what was read from the document, and the page text. """
    info = service.review_show(app.office, app.actor, ref)
    if as_json:
        click.echo(json.dumps(info, default=str))
        return
    first, last = info["pages"]
    click.echo(f"Review item #{info['review_id']} ({info['state']}) — document D{info['document_id']}, "
               f"{info['source']} pages {first}-{last}")
    click.echo(f"Type: {info['doc_type']}{'  URGENT' if info['urgent'] else ''}; date: {info['doc_date'] or '-'}")
    reasons, command = _next_step(list(info["reasons"]))
    click.echo("Why: " + ("; ".join(reasons) or "-"))
    if command:
        click.echo(f"Next: {command}")
    read = info.get("read") or {}
    if any(read.values()):
        click.echo("Read on the document: " + "; ".join(f"{k} {', '.join(v)}" for k, v in read.items() if v))
    if info["proposed_split"]:
        click.echo("Proposed split: " + ",".join(f"{a}-{b}" for a, b in info["proposed_split"]))
    for c in info["candidates"]:
        click.echo(f"  {c['mrn']}  score {c['score']}  {c.get('grade', '')}")
        for field, why in (c.get("reasons") or {}).items():
            click.echo(f"      {field}: {why}")
    for p in info["pages_text"]:
        conf = f", confidence {p['confidence']:.0f}" if p["confidence"] is not None else ""
        click.echo(f"\n--- page {p['page']} ({p['source']}{conf}) ---\n{p['text']}")


@review.command("file")
@click.argument("ref", type=REF, metavar="ITEM")
@click.option("--mrn", required=True, help="The chart to file the document to.")
@click.option("--override-reason", help="File although the document's name, DOB, sex or MRN contradicts the chart "
                                        "(why; audited; no alias is learned).")
@click.option("--no-learn", is_flag=True, help="Do not remember the name on the document as an alias.")
@pass_app
def file_cmd(app: AppContext, ref: str, mrn: str, override_reason: str | None, no_learn: bool) -> None:
    """File the document to the patient with this MRN (refused, exit 6, when it contradicts the chart)."""
    click.echo(service.review_file(app.office, app.actor, ref, mrn, learn=not no_learn,
                                   override_reason=override_reason).message)


@review.command("split")
@click.argument("ref", type=REF, metavar="ITEM")
@click.option("--pages", "spec", required=True, help="Page ranges covering the document, e.g. 1,2-4.")
@pass_app
def split_cmd(app: AppContext, ref: str, spec: str) -> None:
    """Split the document into page ranges; each part is matched and described on its own pages."""
    click.echo(service.review_split(app.office, app.actor, ref, spec).message)


@review.command("reject")
@click.argument("ref", type=REF, metavar="ITEM")
@click.option("--reason", required=True, help="Why (e.g. 'misdirected fax, not our patient').")
@pass_app
def reject_cmd(app: AppContext, ref: str, reason: str) -> None:
    """Reject the document: it stays in the archive and the history, and leaves search."""
    click.echo(service.review_reject(app.office, app.actor, ref, reason).message)

"""``chartfile review``: the queue of documents a clerk must place, and the decisions on them."""

from __future__ import annotations

import json

import click

from chartfile.cli.context import AppContext, pass_app
from chartfile.service import review as service


@click.group("review")
def review() -> None:
    """Documents waiting for a clerk (urgent first, then oldest)."""


@review.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def list_cmd(app: AppContext, as_json: bool) -> None:
    """Open review items, urgent first, then oldest."""
    rows = service.review_list(app.office, app.actor)
    if as_json:
        for r in rows:
            click.echo(json.dumps(r))
        return
    if not rows:
        click.echo("The review queue is empty.")
    for r in rows:
        best = r["candidates"][0] if r["candidates"] else None  # type: ignore[index]
        cand = f"best {best['mrn']} ({best['grade']}, {best['score']})" if best else "no candidate"
        reasons = "; ".join(r["reasons"])[:100]  # type: ignore[arg-type]
        click.echo(f"#{r['review_id']:<5} {'URGENT ' if r['urgent'] else ''}{r['doc_type']:<18} "
                   f"doc {r['document_id']} p{r['pages'][0]}-{r['pages'][1]}  {cand}  {reasons}")  # type: ignore[index]


@review.command("show")
@click.argument("item_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def show_cmd(app: AppContext, item_id: int, as_json: bool) -> None:
    """Candidates with per-field evidence, and the page text."""
    info = service.review_show(app.office, app.actor, item_id)
    if as_json:
        click.echo(json.dumps(info, default=str))
        return
    first, last = info["pages"]
    click.echo(f"Review item {item_id} ({info['state']}) — document {info['document_id']}, {info['source']} "
               f"pages {first}-{last}, {info['doc_type']}")
    click.echo("Why: " + ("; ".join(info["reasons"]) or "-"))  # type: ignore[arg-type]
    if info["proposed_split"]:
        click.echo(f"Proposed split: {info['proposed_split']}")
    for c in info["candidates"]:  # type: ignore[attr-defined]
        click.echo(f"  {c['mrn']}  score {c['score']}  {c.get('grade', '')}")
        for field, why in (c.get("reasons") or {}).items():
            click.echo(f"      {field}: {why}")
    for p in info["pages_text"]:  # type: ignore[attr-defined]
        conf = f", confidence {p['confidence']:.0f}" if p["confidence"] is not None else ""
        click.echo(f"\n--- page {p['page']} ({p['source']}{conf}) ---\n{p['text']}")


@review.command("file")
@click.argument("item_id", type=int)
@click.option("--mrn", required=True, help="The chart to file the document to.")
@click.option("--no-learn", is_flag=True, help="Do not remember the name on the document as an alias.")
@pass_app
def file_cmd(app: AppContext, item_id: int, mrn: str, no_learn: bool) -> None:
    """File the document to the patient with this MRN."""
    click.echo(service.review_file(app.office, app.actor, item_id, mrn, learn=not no_learn).message)


@review.command("split")
@click.argument("item_id", type=int)
@click.option("--pages", "spec", required=True, help="Page ranges covering the document, e.g. 1-2,3-5.")
@pass_app
def split_cmd(app: AppContext, item_id: int, spec: str) -> None:
    """Split the document into page ranges; each part is matched (and reviewed) on its own."""
    click.echo(service.review_split(app.office, app.actor, item_id, spec).message)


@review.command("reject")
@click.argument("item_id", type=int)
@click.option("--reason", required=True, help="Why (e.g. 'misdirected fax, not our patient').")
@pass_app
def reject_cmd(app: AppContext, item_id: int, reason: str) -> None:
    """Reject the document (it stays in the archive and the history)."""
    click.echo(service.review_reject(app.office, app.actor, item_id, reason).message)

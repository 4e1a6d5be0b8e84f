"""``chartfile review``: the queue of documents a clerk must place, and the decisions on them."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from indexer.audit import record as audit
from indexer.db.models import Document, Page, ReviewItem
from indexer.review import Decision, file_document, list_open, reject_document, split_document
from indexer.searchindex import SearchIndex, index_pending
from intake.errors import NotFoundError
from search.cli.context import AppContext, pass_app


def apply_index(app: AppContext, decision: Decision) -> None:
    """Bring the search index up to date after a decision (database first, then index)."""
    index = SearchIndex(app.cfg)
    if decision.removed_from_index:
        index.delete(decision.removed_from_index)
    with app.db.transaction() as s:
        index_pending(s, index)


def _summary(item: ReviewItem, doc: Document) -> dict[str, object]:
    candidates = json.loads(item.candidates_json or "[]")
    return {
        "review_id": item.id, "document_id": doc.id, "kind": item.kind, "urgent": item.urgent,
        "source": doc.intake_item.original_name, "pages": [doc.first_page, doc.last_page],
        "doc_type": doc.doc_type, "doc_date": doc.doc_date.isoformat() if doc.doc_date else None,
        "created_at": item.created_at.strftime("%Y-%m-%d %H:%M"),
        "reasons": json.loads(item.reasons_json or "[]"),
        "candidates": [{"mrn": c["mrn"], "score": c["score"], "grade": c.get("grade")} for c in candidates],
    }


@click.group("review")
def review() -> None:
    """Documents waiting for a clerk (urgent first, then oldest)."""


@review.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def list_cmd(app: AppContext, as_json: bool) -> None:
    """Open review items, urgent first, then oldest."""
    with app.db.transaction() as s:
        rows = [_summary(i, i.document) for i in list_open(s)]
        audit(s, actor=app.user, action="R", event_type="review.list",
              document_ids=[int(str(r["document_id"])) for r in rows], detail=f"{len(rows)} items")
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
    with app.db.transaction() as s:
        item = s.get(ReviewItem, item_id)
        if item is None:
            raise NotFoundError(f"no review item {item_id}")
        doc = item.document
        pages = s.scalars(select(Page).where(Page.intake_item_id == doc.intake_item_id,
                                             Page.number.between(doc.first_page, doc.last_page))
                          .order_by(Page.number)).all()
        info = _summary(item, doc)
        info["state"] = item.state
        info["candidates"] = json.loads(item.candidates_json or "[]")
        info["proposed_split"] = json.loads(item.proposed_split_json or "[]")
        info["pages_text"] = [{"page": p.number, "source": p.source, "confidence": p.confidence,
                               "text": p.text} for p in pages]
        audit(s, actor=app.user, action="R", event_type="document.view", document_ids=[doc.id],
              detail=f"review item {item.id}")
    if as_json:
        click.echo(json.dumps(info, default=str))
        return
    click.echo(f"Review item {item_id} ({info['state']}) — document {doc.id}, {info['source']} "
               f"pages {doc.first_page}-{doc.last_page}, {info['doc_type']}")
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
    with app.db.transaction() as s:
        decision = file_document(s, item_id, mrn, app.user, remember=not no_learn)
    apply_index(app, decision)
    click.echo(decision.message)


@review.command("split")
@click.argument("item_id", type=int)
@click.option("--pages", "spec", required=True, help="Page ranges covering the document, e.g. 1-2,3-5.")
@pass_app
def split_cmd(app: AppContext, item_id: int, spec: str) -> None:
    """Split the document into page ranges; each part is matched (and reviewed) on its own."""
    with app.db.transaction() as s:
        decision = split_document(s, app.cfg, item_id, spec, app.user)
    apply_index(app, decision)
    click.echo(decision.message)


@review.command("reject")
@click.argument("item_id", type=int)
@click.option("--reason", required=True, help="Why (e.g. 'misdirected fax, not our patient').")
@pass_app
def reject_cmd(app: AppContext, item_id: int, reason: str) -> None:
    """Reject the document (it stays in the archive and the history)."""
    with app.db.transaction() as s:
        decision = reject_document(s, item_id, reason, app.user)
    apply_index(app, decision)
    click.echo(decision.message)

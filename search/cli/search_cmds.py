"""``chartfile search`` and ``chartfile index``: find documents; rebuild and check the index."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from indexer.audit import record as audit
from indexer.searchindex import SearchIndex, rebuild
from search.cli.context import AppContext, is_terminal, pass_app
from search.engine import SearchEngine


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@pass_app
def search_cmd(app: AppContext, query: tuple[str, ...], as_json: bool, page: int, limit: int) -> None:
    """Search documents: free text, patient:, mrn:, dob:, type:, from:, date:."""
    text = " ".join(query)
    results = SearchEngine(app.cfg).search(text, page=page, page_size=limit)
    with app.db.transaction() as s:
        audit(s, actor=app.user, action="E", event_type="search", document_ids=[h.doc_id for h in results.hits],
              detail=json.dumps({"query": text[:200], "results": results.total}))
    if as_json:
        click.echo(json.dumps(results.to_dict(), ensure_ascii=False))
        return
    if not results.hits:
        click.echo("No documents found.")
        return
    table = Table(title=f"{results.total} documents", show_lines=False)
    for col in ("Doc", "Patient", "MRN", "Type", "Date", "From", "Status", "Page", "Snippet"):
        table.add_column(col, overflow="fold")
    for h in results.hits:
        table.add_row(str(h.doc_id), h.patient_name, h.patient_mrn, h.doc_type, h.doc_date or "",
                      h.sender, h.status, str(h.page or ""), h.snippet[:120])
    Console(width=None if is_terminal() else 200).print(table)


@click.group("index")
def index() -> None:
    """The search index (derived from the database; rebuildable)."""


@index.command("rebuild")
@pass_app
def rebuild_cmd(app: AppContext) -> None:
    """Rebuild the search index from the database."""
    with app.db.transaction() as s:
        n = rebuild(s, SearchIndex(app.cfg))
        audit(s, actor=app.user, action="E", event_type="index.rebuild", detail=f"{n} documents")
    click.echo(f"Index rebuilt: {n} documents.")

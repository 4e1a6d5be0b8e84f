"""``chartfile search`` and ``chartfile index``: find documents; rebuild, check and repair the index.

Every search is audited (who, the query, how many results, which documents
were listed).  Query text goes to the audit trail only, never to the logs.
"""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from chartfile.cli.context import AppContext, is_terminal, pass_app
from chartfile.cli.params import PAGE
from chartfile.service import indexing
from chartfile.service.indexing import CheckReport
from chartfile.service.search import Hit, Results, search
from intake.errors import IntegrityError
from intake.textwidth import WIDTH, fit

SHOW_IDS = 20  # ids listed per problem kind by 'index check'


@click.command("search", context_settings={"ignore_unknown_options": True})  # lets -type:lab through
@click.argument("query", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--page", default=1, show_default=True, type=PAGE)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500), help="Results per page.")
@click.option("--sort", type=click.Choice(["auto", "relevance", "newest", "oldest"]), default="auto",
              show_default=True, help="auto: relevance for words and names, newest first otherwise.")
@click.option("--include-rejected", is_flag=True,
              help="Administrators: also rejected documents (misdirected faxes kept in the archive).")
@pass_app
def search_cmd(app: AppContext, query: tuple[str, ...], as_json: bool, page: int, limit: int, sort: str,
               include_rejected: bool) -> None:
    """Search documents (filed, and in review by the names, DOBs and MRNs read from them).

    \b
    Free words and "quoted phrases" search the text (typo-tolerant for names).
    Fields: patient:"jon smyth"  mrn:CF123456  dob:03/04/1961 (or dob:1961)
            type:lab  from:quest  provider:patel  status:review  urgent:yes
            date:2026-03..2026-05  date:"last month"  received:today
    Put - before a term to exclude it:  type:lab -from:quest
    """
    text = " ".join(query)
    results = search(app.office, app.actor, text, page=page, page_size=limit, sort=sort,
                     include_rejected=include_rejected)
    if as_json:
        click.echo(json.dumps(results.to_dict(), ensure_ascii=False))
        return
    _print_results(results)


def _snippet(hit: Hit) -> Text:
    text = Text(" ".join(hit.snippet.split()))
    for start, end in hit.highlights:
        text.stylize("bold reverse", start, end)
    return text


STATUS_WORDS = {"review": "in review", "rejected": "REJECTED"}


def hit_lines(h: Hit) -> list[str]:
    """The plain lines of one hit (at most 80 columns each); the snippet follows them."""
    status = STATUS_WORDS.get(h.status, h.status) + (" URGENT" if h.urgent else "")
    head = f"D{h.doc_id:<6} {h.doc_type:<18} {h.doc_date or h.received[:10]:<10}  {status}"
    if h.patient_mrn:
        who = f"{h.patient_name} {h.patient_mrn}" + (f", born {h.dob}" if h.dob else "")
    elif h.read_names:
        who = f"{', '.join(h.read_names)} (as read on the document; not filed)"
    else:
        who = "no patient name read (not filed)"
    where = f"page {h.page} of {h.pages}" if h.page else f"{h.pages} page{'s' if h.pages != 1 else ''}"
    origin = f"        from {h.sender or '-'}; {where}"
    with_file = f"{origin}; {h.source}"
    return [fit(head), fit(f"        {who}"), with_file if len(with_file) <= WIDTH else fit(origin)]


def _print_results(results: Results) -> None:
    console = Console(width=None if is_terminal() else WIDTH, highlight=False)
    for note in results.notes:
        console.print(f"[yellow]{escape(note)}[/yellow]")
    if not results.hits:
        console.print("No documents found.")
        return
    count = f"{results.total:,}" if results.total_exact else f"about {results.total:,}"
    order = f", {results.sort} first" if results.sort != "relevance" else ""
    console.print(f"{count} documents — page {results.page} of {results.pages}{order}")
    for h in results.hits:
        console.print()
        for line in hit_lines(h):
            console.print(line, markup=False)
        if h.snippet:
            console.print(Padding(_snippet(h), (0, 0, 0, 8)))
    for name, rows in results.facets.items():
        if rows:
            console.print()
            console.print(fit(f"{name}: " + "  ".join(f"{v or '(none)'} {n:,}" for v, n in rows)), markup=False)


@click.group("index")
def index() -> None:
    """The search index (derived from the database; rebuildable)."""


@index.command("rebuild")
@pass_app
def rebuild_cmd(app: AppContext) -> None:
    """Rebuild the search index from the database (searches and intake keep working meanwhile)."""

    def progress(n: int) -> None:
        if is_terminal():
            click.echo(f"\r{n:,} documents indexed", nl=False)

    n = indexing.rebuild_index(app.office, app.actor, progress)
    if is_terminal():
        click.echo()
    click.echo(f"Index rebuilt: {n:,} documents.")


@index.command("check")
@click.option("--repair", "do_repair", is_flag=True,
              help="Re-index missing or stale documents and remove orphan entries.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def check_cmd(app: AppContext, do_repair: bool, as_json: bool) -> None:
    """Compare the index with the database; exit 7 if they differ (and were not repaired)."""
    done = indexing.check_and_repair(app.office, app.actor, do_repair)
    report, fixed, after = done.before, done.repaired, done.after
    if as_json:
        click.echo(json.dumps({"before": report.to_dict(), "repaired": fixed, "after": after.to_dict()}))
    else:
        _print_check(report, fixed, after)
    if not after.ok:
        raise IntegrityError("the search index and the database differ (see above)",
                             hint="Run 'chartfile index check --repair' (or 'chartfile index rebuild').")


def _ids(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:SHOW_IDS])
    return shown + (f" … (+{len(ids) - SHOW_IDS} more)" if len(ids) > SHOW_IDS else "")


def _print_check(report: CheckReport, fixed: dict[str, int] | None, after: CheckReport) -> None:
    click.echo(f"{report.documents:,} documents in the database, {report.entries:,} in the index.")
    labels = {"missing": "missing from the index", "pending": "not yet indexed or changed since (pending)",
              "stale": "indexed with outdated status/patient/details", "orphans": "in the index but not the database",
              "duplicates": "indexed more than once"}
    for key, label in labels.items():
        ids = getattr(report, key)
        if ids:
            click.echo(f"  {len(ids):,} {label}: {_ids(ids)}")
    if report.ok:
        click.echo("Index and database agree.")
    elif fixed is not None:
        click.echo(f"Repaired: {fixed['reindexed']:,} re-indexed, {fixed['deleted']:,} orphan entries removed. "
                   + ("Index and database now agree." if after.ok else "Some differences remain."))
    else:
        click.echo("Run 'chartfile index check --repair' to fix these.")


@index.command("optimize")
@pass_app
def optimize_cmd(app: AppContext) -> None:
    """Merge the index into one segment (faster searches; takes a while on large indexes)."""
    before, after = indexing.optimize_index(app.office, app.actor)
    click.echo(f"Index optimized: {before} segments merged into {after}.")

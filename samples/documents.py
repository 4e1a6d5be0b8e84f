"""Document *content*: realistic synthetic medical documents as lines of text.

This module owns what is printed on each page (letterheads, labelled patient
fields in varied real-world styles, dates, lab tables, ROI authorization
elements, ...) and the per-document ground truth.  It knows nothing about
pixels or file formats: :mod:`samples.render` draws the :class:`Line` objects
and :mod:`samples.formats` writes files.

A :class:`Line` may contain ``\\t``: the text is laid out in columns at the
line's tab stops.  The ground-truth text of a line (:attr:`Line.plain`) joins
the columns with one space and collapses runs of spaces, which is what OCR and
text-layer extraction give.
"""

from __future__ import annotations

import datetime as dt
import random
import textwrap
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from samples import _data

DOC_TYPES: tuple[str, ...] = (
    "fax_cover", "lab_result", "referral", "roi_authorization", "insurance_card",
    "intake_form", "prescription_request", "imaging_report", "discharge_summary",
    "clinical_note", "correspondence",
)

# Relative frequency of document types in a realistic inbound fax stream.
DOC_TYPE_WEIGHTS: dict[str, float] = {
    "lab_result": 0.22, "clinical_note": 0.14, "imaging_report": 0.10,
    "referral": 0.08, "prescription_request": 0.10, "discharge_summary": 0.06,
    "roi_authorization": 0.06, "insurance_card": 0.05, "intake_form": 0.05,
    "correspondence": 0.09, "fax_cover": 0.05,
}

# Typical page counts (min, max) when the caller does not ask for a number.
NATURAL_PAGES: dict[str, tuple[int, int]] = {
    "fax_cover": (1, 1), "lab_result": (1, 3), "referral": (1, 3),
    "roi_authorization": (1, 2), "insurance_card": (1, 1), "intake_form": (1, 3),
    "prescription_request": (1, 1), "imaging_report": (1, 2), "discharge_summary": (2, 6),
    "clinical_note": (1, 4), "correspondence": (1, 2),
}

PAGE_CAPACITY = 46.0  # line units per page (see samples.render geometry)
MAX_CHARS = 86  # longest body line, keeps 11 pt DejaVu Sans inside the margins

# How likely an outside document prints *our* MRN, per type.
MRN_PRINT_RATE: dict[str, float] = {
    "fax_cover": 0.15, "lab_result": 0.6, "referral": 0.35, "roi_authorization": 0.3,
    "insurance_card": 0.0, "intake_form": 0.8, "prescription_request": 0.1,
    "imaging_report": 0.5, "discharge_summary": 0.2, "clinical_note": 0.25,
    "correspondence": 0.3,
}

ROI_ELEMENTS: tuple[str, ...] = (
    "description", "disclosing_party", "recipient", "purpose", "expiration",
    "signature", "revocation_statement", "conditioning_statement", "redisclosure_statement",
)


# --------------------------------------------------------------------------
# data types
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """One printed line.  ``style``: title, bold, body, small, rule, footer."""

    text: str = ""
    style: str = "body"
    tabs: tuple[float, ...] = (0.0, 0.5)  # column starts as fractions of text width
    indent: float = 0.0  # fraction of text width

    @property
    def plain(self) -> str:
        """Ground-truth text: columns joined and runs of spaces collapsed to one space."""
        return " ".join(self.text.split())

    @property
    def units(self) -> float:
        """Vertical space in line units."""
        return {"title": 1.6, "rule": 0.5, "footer": 0.0, "small": 0.85}.get(self.style, 1.0)


@dataclass
class Document:
    """A generated document: its pages of lines and its ground truth."""

    doc_type: str
    pages: list[list[Line]]
    truth: dict[str, Any]
    sender: dict[str, Any] = field(default_factory=dict)  # the organisation that printed it

    def page_texts(self) -> list[str]:
        """Exact text per page, lines joined by newlines (rules omitted)."""
        return [page_text(p) for p in self.pages]


def page_text(lines: list[Line]) -> str:
    """Ground-truth text of one page."""
    return "\n".join(ln.plain for ln in lines if ln.style != "rule" and ln.plain)


@dataclass
class Printed:
    """How the patient appears on this document."""

    name: str | None
    given: str
    middle: str
    family: str
    suffix: str
    variant: str  # legal | nickname | maiden | ascii | legal+...
    dob: dt.date | None
    dob_raw: str | None
    sex: str
    mrn: str | None  # our MRN printed, or None
    mrn_label: str | None
    foreign_ids: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Ctx:
    """Everything a type-specific generator needs."""

    rng: random.Random
    doc_type: str
    row: dict[str, str] | None  # roster row (or a stranger) of the patient
    pt: Printed | None
    sender: dict[str, Any]
    sent: dt.datetime
    doc_date: dt.date | None = None
    dates: list[dict[str, str]] = field(default_factory=list)
    urgent: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    provider: str = ""
    our_provider: str = ""


@dataclass
class Parts:
    """What a type-specific generator returns."""

    head: list[Line]
    blocks: Iterator[list[Line]]
    closing: list[Line]
    letterhead: bool = True


# --------------------------------------------------------------------------
# formatting helpers
# --------------------------------------------------------------------------
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_LONG = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")


def fmt_date(d: dt.date, style: str) -> str:
    """Format a date in one of the styles seen on real documents."""
    if style == "us":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    if style == "us_short":
        return f"{d.month}/{d.day}/{d.year}"
    if style == "yy":
        return f"{d.month}/{d.day}/{d.year % 100:02d}"
    if style == "iso":
        return d.isoformat()
    if style == "mon":
        return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"
    if style == "month":
        return f"{MONTHS_LONG[d.month - 1]} {d.day}, {d.year}"
    if style == "dmon":
        return f"{d.day:02d}-{MONTHS[d.month - 1].upper()}-{d.year}"
    if style == "us_dash":
        return f"{d.month:02d}-{d.day:02d}-{d.year}"
    raise ValueError(style)


def pick_date_style(rng: random.Random, d: dt.date, allow_yy: bool = True) -> str:
    """A realistic date style; two-digit years only where unambiguous (1927..2025)."""
    styles = ["us", "us", "us", "us_short", "iso", "mon", "dmon", "us_dash"]
    if allow_yy and 1927 <= d.year <= 2025:
        styles.append("yy")
    return rng.choice(styles)


def labelled_date(ctx: Ctx, label: str, d: dt.date, key: str | None = None) -> str:
    """``"Label: <date>"`` and record it in the ground-truth date list."""
    raw = fmt_date(d, pick_date_style(ctx.rng, d, allow_yy=False))
    ctx.dates.append({"label": key or label, "value": d.isoformat(), "raw": raw})
    return f"{label}: {raw}"


def strip_accents(s: str) -> str:
    """``José Muñoz`` → ``Jose Munoz`` (what many fax systems print)."""
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def wrap(text: str, width: int = 84, style: str = "body", indent: float = 0.0) -> list[Line]:
    """Wrap prose into lines."""
    return [Line(t, style, indent=indent) for t in textwrap.wrap(text, width)]


def split_suffix(family: str) -> tuple[str, str]:
    """``"Smith Jr"`` → ``("Smith", "Jr")``."""
    parts = family.rsplit(" ", 1)
    if len(parts) == 2 and parts[1] in _data.SUFFIXES:
        return parts[0], parts[1]
    return family, ""


def format_name(given: str, middle: str, family: str, suffix: str, style: str, mid: str) -> str:
    """Render a name: style first_last | LAST_FIRST | Last_First | FIRST_LAST; mid full|initial|dot|none."""
    m = {"full": middle, "initial": middle[:1], "dot": f"{middle[:1]}." if middle else "", "none": ""}[mid]
    if style == "first_last":
        s = " ".join(x for x in (given, m, family) if x)
        return f"{s} {suffix}." if suffix and suffix in ("Jr", "Sr") else (f"{s} {suffix}" if suffix else s)
    if style == "FIRST_LAST":
        return " ".join(x for x in (given, m, family, suffix) if x).upper()
    if style == "LAST_FIRST":
        fam = f"{family} {suffix}" if suffix else family
        return f"{fam}, {' '.join(x for x in (given, m) if x)}".upper()
    if style == "Last_First":
        fam = f"{family} {suffix}" if suffix else family
        return f"{fam}, {' '.join(x for x in (given, m) if x)}"
    raise ValueError(style)


def _chance(ctx: Ctx, key: str, p: float) -> bool:
    """A random event with probability ``p`` unless ``force[key]`` decides it."""
    roll = ctx.rng.random() < p
    forced = ctx.extra.get("force", {}).get(key)
    return roll if forced is None else bool(forced)


def _money(rng: random.Random, lo: int, hi: int) -> str:
    return f"${rng.randint(lo, hi)}"


# --------------------------------------------------------------------------
# the patient as printed
# --------------------------------------------------------------------------
def printed_patient(rng: random.Random, row: dict[str, str], extras: dict[str, str],
                    doc_type: str, sender: dict[str, Any], mrn_known: bool) -> Printed:
    """Decide how this document prints the patient's identity."""
    family, suffix = split_suffix(row["family_name"])
    given, middle = row["given_name"], row["middle_name"]
    variant: list[str] = []
    want = extras.get("force_variant", "")
    if extras.get("nickname") and (rng.random() < 0.45 or want == "nickname"):
        given, variant = extras["nickname"], ["nickname"]
    elif given in _data.NICKNAMES and rng.random() < 0.04:
        given, variant = rng.choice(_data.NICKNAMES[given]), ["nickname"]
    if extras.get("maiden_name") and (rng.random() < 0.3 or want == "maiden"):
        family = extras["maiden_name"]
        variant.append("maiden")
    if strip_accents(given + family) != given + family and (rng.random() < 0.45 or want == "ascii"):
        given, family, middle = strip_accents(given), strip_accents(family), strip_accents(middle)
        variant.append("ascii")
    if suffix and rng.random() < 0.3:
        suffix = ""
        variant.append("suffix_dropped")
    dob = dt.date.fromisoformat(row["dob"])
    if dob.day <= 12 and dob.day != dob.month and rng.random() < 0.015:
        dob = dob.replace(month=dob.day, day=dob.month)
        variant.append("dob_swapped")
    show_dob = doc_type != "insurance_card" or rng.random() < 0.3
    dob_raw = fmt_date(dob, pick_date_style(rng, dob)) if show_dob else None
    mrn = row.get("mrn") or None
    print_mrn = bool(mrn) and mrn_known and rng.random() < MRN_PRINT_RATE[doc_type]
    label = rng.choice(("MRN", "Chart #", "Chart No.", "Client MRN", "PCP Chart #", "Your MRN")) \
        if print_mrn else None
    return Printed(
        name=None, given=given, middle=middle, family=family, suffix=suffix,
        variant="+".join(variant) or "legal", dob=dob if show_dob else None, dob_raw=dob_raw,
        sex=row["sex"], mrn=mrn if print_mrn else None, mrn_label=label,
        foreign_ids=_foreign_ids(rng, sender, doc_type),
    )


def _foreign_ids(rng: random.Random, sender: dict[str, Any], doc_type: str) -> list[dict[str, str]]:
    """Other facilities' identifiers printed on the document (never ``CF\\d{6}``)."""
    out = []
    for label, prefix, digits, kind in sender.get("ids", ()):
        wanted = 0.95 if doc_type == "insurance_card" and kind == "member_id" else 0.6
        if rng.random() < wanted:
            value = prefix + "".join(str(rng.randint(0, 9)) for _ in range(digits))
            if value[0] == "0" and not prefix:
                value = str(rng.randint(1, 9)) + value[1:]
            out.append({"label": label, "value": value, "kind": kind})
    return out


def _name_label(rng: random.Random) -> tuple[str, str, str]:
    """(label, name style, middle mode) combinations seen in the wild."""
    return rng.choice((
        ("Patient", "first_last", "initial"),
        ("Patient", "first_last", "none"),
        ("Pt Name", "LAST_FIRST", "none"),
        ("Name", "Last_First", "dot"),
        ("PATIENT NAME", "LAST_FIRST", "initial"),
        ("Patient Name", "first_last", "full"),
        ("Patient Name", "LAST_FIRST", "initial"),
        ("Patient", "Last_First", "none"),
    ))


def _sex_text(rng: random.Random, sex: str) -> str:
    return rng.choice((f"Sex: {sex}", f"Sex: {'Female' if sex == 'F' else 'Male'}",
                       f"Gender: {'Female' if sex == 'F' else 'Male'}", f"Sex: {sex}"))


def patient_block(ctx: Ctx) -> list[Line]:
    """Labelled patient fields in one of several layouts; sets ``ctx.pt.name``."""
    pt = ctx.pt
    assert pt is not None
    rng = ctx.rng
    label, style, mid = _name_label(rng)
    mid = mid if pt.middle else "none"
    pt.name = format_name(pt.given, pt.middle, pt.family, pt.suffix, style, mid)
    dob_label = rng.choice(("DOB", "DOB", "D.O.B.", "Date of Birth", "Birthdate"))
    fields: list[tuple[str, str]] = [(label, pt.name)]
    if pt.dob_raw:
        fields.append((dob_label, pt.dob_raw))
    if rng.random() < 0.7:
        fields.append(("", _sex_text(rng, pt.sex)))
    if pt.mrn:
        fields.append((pt.mrn_label or "MRN", pt.mrn))
    fields.extend((f["label"], f["value"]) for f in pt.foreign_ids)
    texts = [f"{k}: {v}" if k else v for k, v in fields]
    layout = rng.choice(("stacked", "two_col", "leaders", "compact"))
    if layout == "leaders" and label == "PATIENT NAME":
        out = []
        for k, v in fields:
            key = (k or v.split(":")[0]).upper()
            val = v if k else v.split(": ", 1)[1]
            out.append(Line(f"{key} {'.' * max(3, 22 - len(key))} {val}"))
        return out
    if layout == "two_col":
        return [Line("\t".join(texts[i:i + 2]), tabs=(0.0, 0.55)) for i in range(0, len(texts), 2)]
    if layout == "compact" and len(texts) >= 3:
        return [Line("\t".join(texts[:3]), tabs=(0.0, 0.48, 0.78))] + [Line(t) for t in texts[3:]]
    return [Line(t) for t in texts]


def continuation_header(ctx: Ctx) -> list[Line]:
    """The short patient header many EHRs repeat on pages 2+."""
    pt = ctx.pt
    if pt is None or pt.name is None:
        return []
    bits = [pt.name]
    if pt.dob_raw:
        bits.append(f"DOB: {pt.dob_raw}")
    if pt.mrn:
        bits.append(f"{pt.mrn_label}: {pt.mrn}")
    return [Line("   ".join(bits), "small"), Line(style="rule")]


def letterhead(ctx: Ctx) -> list[Line]:
    """Sender name, address, phone and fax (one fixed letterhead style per organisation)."""
    s = ctx.sender
    rng = random.Random(f"letterhead:{s['name']}")
    name = s["name"].upper() if rng.random() < 0.5 else s["name"]
    ph, fx = rng.choice((("Phone", "Fax"), ("Tel", "Fax"), ("Ph", "Fx"), ("P", "F")))
    contact = f"{ph}: {s['phone']}   {fx}: {s['fax']}"
    if rng.random() < 0.5:
        return [Line(name, "title"), Line(s["address"]), Line(contact), Line(style="rule")]
    return [Line(name, "title"), Line(f"{s['address']}  |  {contact}", "small"), Line(style="rule")]


def title(text: str) -> list[Line]:
    """Document title line followed by a blank line."""
    return [Line(text, "bold"), Line("")]


def _endless(first: list[list[Line]], more: Callable[[], list[Line]]) -> Iterator[list[Line]]:
    yield from first
    while True:
        yield more()


def _history_table(ctx: Ctx) -> list[Line]:
    """A generic, repeatable block: prior encounters (used to fill extra pages)."""
    rng = ctx.rng
    tabs = (0.0, 0.2, 0.55)
    out = [Line(""), Line("PRIOR ENCOUNTERS (continued)" if rng.random() < 0.5 else "VISIT HISTORY", "bold"),
           Line("Date\tProvider\tReason", tabs=tabs)]
    base = ctx.doc_date or ctx.sent.date()
    for _ in range(rng.randint(5, 9)):
        d = base - dt.timedelta(days=rng.randint(40, 1500))
        out.append(Line(f"{fmt_date(d, 'us')}\t{rng.choice(_data.PROVIDERS)}\t"
                        f"{textwrap.shorten(rng.choice(_data.DIAGNOSES)[1], 42, placeholder='')}", tabs=tabs))
    return out


def _prose_block(ctx: Ctx, heading: str | None = None, n: tuple[int, int] = (2, 5)) -> list[Line]:
    rng = ctx.rng
    text = " ".join(rng.sample(_data.FILLER_SENTENCES, rng.randint(*n)))
    return ([Line(heading, "bold")] if heading else []) + wrap(text) + [Line("")]


def _signature(ctx: Ctx, who: str, when: dt.date, verb: str = "Electronically signed by") -> list[Line]:
    raw = fmt_date(when, "us")
    ctx.dates.append({"label": "Signed", "value": when.isoformat(), "raw": raw})
    return [Line(""), Line(f"{verb}: {who} on {raw} {ctx.rng.randint(7, 18):02d}:{ctx.rng.randint(0, 59):02d}")]


def _confidentiality(ctx: Ctx) -> list[Line]:
    if ctx.rng.random() < 0.5:
        return []
    return [Line("")] + [Line(t, "small") for t in _data.CONFIDENTIALITY]


# --------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------
def choose_doc_date(rng: random.Random, sent: dt.datetime) -> dt.date:
    """A document date before the transmission date (mostly recent, sometimes old)."""
    back = rng.randint(1, 21) if rng.random() < 0.8 else rng.randint(22, 900)
    return sent.date() - dt.timedelta(days=back)


# --------------------------------------------------------------------------
# type-specific generators
# --------------------------------------------------------------------------
def _lab_result(ctx: Ctx) -> Parts:
    rng = ctx.rng
    assert ctx.doc_date
    collected = ctx.doc_date
    reported = min(collected + dt.timedelta(days=rng.randint(0, 2)), ctx.sent.date())
    stat = rng.random() < 0.08
    critical = _chance(ctx, "urgent", 0.12)
    if stat:
        ctx.urgent.append("stat")
    head = title(rng.choice(("LABORATORY REPORT", "FINAL REPORT", "Laboratory Results", "CUMULATIVE LAB REPORT")))
    head += patient_block(ctx)
    head += [Line(f"Ordering Provider: {ctx.our_provider}\t{labelled_date(ctx, 'Collected', collected)}",
                  tabs=(0.0, 0.55)),
             Line(f"Priority: {'STAT' if stat else 'Routine'}\t"
                  f"{labelled_date(ctx, rng.choice(('Reported', 'Report Date')), reported, 'Reported')}",
                  tabs=(0.0, 0.55)),
             Line(f"Accession #: {rng.choice('ABCDEFGH')}{rng.randint(10, 99)}-{rng.randint(100000, 999999)}"),
             Line("")]
    panels = rng.sample(sorted(_data.LAB_PANELS), k=len(_data.LAB_PANELS))
    crit_panel = None
    if critical:  # the critical value goes in the first panel, which is always printed
        crit_panel = rng.choice([p for p in panels if any(t[5] is not None or t[6] is not None
                                                          for t in _data.LAB_PANELS[p])])
        panels.remove(crit_panel)
        panels.insert(0, crit_panel)
    first = [_lab_panel(ctx, p, p == crit_panel) for p in panels]
    closing = [Line("")]
    if rng.random() < 0.4:
        closing += wrap("Critical values are called to the ordering provider per laboratory policy.", style="small")
    closing += [Line(f"Laboratory Director: {rng.choice(_data.PROVIDERS)}", "small")]
    return Parts(head, _endless(first, lambda: _prior_panel(ctx)), closing + _confidentiality(ctx))


def _lab_value(rng: random.Random, lo: float, hi: float, dec: int, state: str,
               clo: float | None, chi: float | None) -> float:
    span = hi - lo or 1.0
    if state == "normal":
        v = rng.uniform(lo, hi)
    elif state == "high":
        v = rng.uniform(hi + 0.05 * span, hi + 0.4 * span)
        if chi is not None:
            v = min(v, chi - 0.01 * span)
    elif state == "low":
        v = max(rng.uniform(lo - 0.3 * span, lo - 0.05 * span), lo * 0.6)
        if clo is not None:
            v = max(v, clo + 0.01 * span)
    elif state == "crit_high":
        v = (chi or hi * 2) * rng.uniform(1.02, 1.2)
    else:
        v = (clo or lo / 2) * rng.uniform(0.8, 0.97)
    return round(v, dec)


def _prior_panel(ctx: Ctx) -> list[Line]:
    """An earlier result of a random panel (cumulative reports; fills extra pages)."""
    rng = ctx.rng
    panel = rng.choice(sorted(_data.LAB_PANELS))
    base = ctx.doc_date or ctx.sent.date()
    when = base - dt.timedelta(days=rng.randint(60, 900))
    raw = fmt_date(when, "us")
    ctx.dates.append({"label": "Prior Collected", "value": when.isoformat(), "raw": raw})
    return _lab_panel(ctx, panel, False, f"{panel} - PRIOR RESULT, collected {raw}")


def _lab_panel(ctx: Ctx, panel: str, with_critical: bool, heading: str | None = None) -> list[Line]:
    rng = ctx.rng
    tabs = (0.0, 0.36, 0.52, 0.64, 0.80)
    rows = [Line(heading or panel, "bold"), Line("Test\tResult\tFlag\tUnits\tRef Range", tabs=tabs)]
    tests = _data.LAB_PANELS[panel]
    crit_candidates = [t for t in tests if t[5] is not None or t[6] is not None]
    crit_test = rng.choice(crit_candidates)[0] if with_critical and crit_candidates else None
    for name, unit, lo, hi, dec, clo, chi in tests:
        if name == crit_test:
            state = "crit_high" if chi is not None and (clo is None or rng.random() < 0.5) else "crit_low"
        else:
            state = rng.choices(("normal", "high", "low"), weights=(0.8, 0.12, 0.08 if lo > 0 else 0.0))[0]
        v = _lab_value(rng, lo, hi, dec, state, clo, chi)
        flag = {"normal": "", "high": "H", "low": "L"}.get(state, "")
        if state.startswith("crit"):
            flag = rng.choice(("CRITICAL", "PANIC", "HH" if state == "crit_high" else "LL", "CRIT"))
            ctx.urgent.append("critical_value")
            ctx.extra.setdefault("critical_tests", []).append(name)
        value = f"{v:.{dec}f}"
        rows.append(Line(f"{name}\t{value}\t{flag}\t{unit}\t{lo:.{dec}f}-{hi:.{dec}f}", tabs=tabs))
    if crit_test:
        when = fmt_date(ctx.doc_date or ctx.sent.date(), "us")
        rows += wrap(f"*** CRITICAL RESULT called to {ctx.our_provider} office on {when}, read back "
                     "and verified. ***", style="bold")
    return rows + [Line("")]


def _imaging_report(ctx: Ctx) -> Parts:
    rng = ctx.rng
    assert ctx.doc_date
    study, region = rng.choice(_data.IMAGING_STUDIES)
    critical = _chance(ctx, "urgent", 0.08)
    head = title(rng.choice(("RADIOLOGY REPORT", "DIAGNOSTIC IMAGING REPORT", "Imaging Report")))
    head += patient_block(ctx)
    head += [Line(f"Exam: {study}"), Line(labelled_date(ctx, rng.choice(("Exam Date", "Date of Service")),
                                                       ctx.doc_date, "Exam Date")),
             Line(f"Referring Physician: {ctx.our_provider}"), Line("")]
    comparison = ctx.doc_date - dt.timedelta(days=rng.randint(200, 2000))
    findings = ("No acute abnormality identified." if not critical else
                "Findings concerning for acute process; see impression.")
    first = [
        [Line("CLINICAL HISTORY:", "bold")] + wrap(f"{rng.choice(_data.DIAGNOSES)[1]}. Evaluate {region.lower()}.")
        + [Line("")],
        [Line("TECHNIQUE:", "bold")] + wrap(f"Standard {study.split()[0]} protocol of the {region.lower()}.")
        + [Line("")],
        [Line("COMPARISON:", "bold"), Line(f"Prior study dated {fmt_date(comparison, 'us')}."), Line("")],
        [Line("FINDINGS:", "bold")] + wrap(findings + " " + " ".join(rng.sample(_data.FILLER_SENTENCES[:8], 2)))
        + [Line("")],
    ]
    ctx.dates.append({"label": "Comparison", "value": comparison.isoformat(), "raw": fmt_date(comparison, "us")})
    impression = [Line("IMPRESSION:", "bold")]
    if critical:
        ctx.urgent.append("critical_finding")
        impression += wrap("1. CRITICAL FINDING: suspected acute abnormality of the "
                           f"{region.lower()}. Findings were communicated by telephone to the ordering "
                           "provider's office.", style="bold")
    else:
        impression += [Line("1. No acute findings."), Line("2. Clinical correlation recommended.")]
    signed = min(ctx.doc_date + dt.timedelta(days=rng.randint(0, 1)), ctx.sent.date())
    closing = impression + _signature(ctx, rng.choice(_data.PROVIDERS), signed) + _confidentiality(ctx)
    return Parts(head, _endless(first, lambda: _prose_block(ctx, "ADDENDUM:")), closing)


def _clinical_note(ctx: Ctx) -> Parts:
    rng = ctx.rng
    assert ctx.doc_date
    kind = rng.choice(("OFFICE VISIT NOTE", "CONSULTATION NOTE", "PROGRESS NOTE", "Clinic Note"))
    head = title(kind) + patient_block(ctx)
    head += [Line(labelled_date(ctx, rng.choice(("Date of Service", "DOS", "Visit Date")), ctx.doc_date,
                                "Date of Service")),
             Line(f"Provider: {ctx.provider}\tPCP: {ctx.our_provider}", tabs=(0.0, 0.5)), Line("")]
    dx = rng.sample(_data.DIAGNOSES, 3)
    meds = rng.sample(_data.MEDICATIONS, rng.randint(2, 5))
    first = [
        [Line("CHIEF COMPLAINT:", "bold"), Line(f"Follow-up of {dx[0][1].lower()}."), Line("")],
        _prose_block(ctx, "HISTORY OF PRESENT ILLNESS:", (3, 6)),
        [Line("CURRENT MEDICATIONS:", "bold")] + [Line(f"- {m}") for m in meds] + [Line("")],
        _prose_block(ctx, "PHYSICAL EXAM:", (3, 5)),
        [Line("ASSESSMENT AND PLAN:", "bold")]
        + [Line(f"{i}. {d[1]} ({d[0]})") for i, d in enumerate(dx, 1)] + [Line("")],
    ]
    closing = _signature(ctx, ctx.provider, ctx.doc_date) + _confidentiality(ctx)
    return Parts(head, _endless(first, lambda: rng.choice((_prose_block(ctx, "INTERVAL HISTORY:"),
                                                           _history_table(ctx)))), closing)


def _discharge_summary(ctx: Ctx) -> Parts:
    rng = ctx.rng
    assert ctx.doc_date
    admit = ctx.doc_date - dt.timedelta(days=rng.randint(1, 9))
    head = title("DISCHARGE SUMMARY") + patient_block(ctx)
    head += [Line(f"{labelled_date(ctx, 'Admission Date', admit)}\t"
                  f"{labelled_date(ctx, 'Discharge Date', ctx.doc_date)}", tabs=(0.0, 0.5)),
             Line(f"Attending: {ctx.provider}"), Line("")]
    dx = rng.sample(_data.DIAGNOSES, 4)
    first = [
        [Line("PRINCIPAL DIAGNOSIS:", "bold"), Line(f"{dx[0][1]} ({dx[0][0]})"), Line("")],
        [Line("SECONDARY DIAGNOSES:", "bold")] + [Line(f"- {d[1]}") for d in dx[1:]] + [Line("")],
        _prose_block(ctx, "HOSPITAL COURSE:", (5, 9)),
        _prose_block(ctx, None, (4, 7)),
        [Line("DISCHARGE MEDICATIONS:", "bold")]
        + [Line(f"- {m}") for m in rng.sample(_data.MEDICATIONS, rng.randint(3, 7))] + [Line("")],
        [Line("FOLLOW-UP:", "bold"), Line(f"Follow up with {ctx.our_provider} within 7 days."), Line("")],
    ]
    closing = _signature(ctx, ctx.provider, ctx.doc_date, "Dictated and signed by") + _confidentiality(ctx)
    return Parts(head, _endless(first, lambda: _prose_block(ctx, "HOSPITAL COURSE (continued):", (5, 9))),
                 closing)


def _referral(ctx: Ctx) -> Parts:
    rng = ctx.rng
    assert ctx.doc_date
    urgent = _chance(ctx, "urgent", 0.15)
    if urgent:
        ctx.urgent.append("urgent_marked")
    dx = rng.choice(_data.DIAGNOSES)
    head = title(rng.choice(("REFERRAL", "REFERRAL REQUEST", "Consultation Referral")))
    head += [Line(labelled_date(ctx, rng.choice(("Date", "Referral Date")), ctx.doc_date, "Referral Date"))]
    head += patient_block(ctx)
    head += [Line(f"Referring Provider: {ctx.provider}"),
             Line(f"Referred To: {_data.OUR_OFFICE['name']}, {ctx.our_provider}"),
             Line(f"Priority: {'URGENT' if urgent else 'Routine'}"),
             Line(f"Diagnosis: {dx[1]} ({dx[0]})"), Line("")]
    payer = rng.choice(_data.PAYERS)
    first = [
        _prose_block(ctx, "REASON FOR REFERRAL:", (2, 4)),
        [Line("INSURANCE:", "bold"), Line(f"{payer[0]} ({payer[2]})"),
         Line(f"Authorization #: {rng.randint(1000000, 9999999)}"), Line("")],
        [Line("ATTACHED:", "bold"), Line("[X] Office notes  [X] Medication list  [ ] Imaging"), Line("")],
    ]
    closing = [Line(f"Referring provider signature: {ctx.provider}")] + _confidentiality(ctx)
    return Parts(head, _endless(first, lambda: _history_table(ctx)), closing)


def _prescription_request(ctx: Ctx) -> Parts:
    rng = ctx.rng
    assert ctx.doc_date
    med = rng.choice(_data.MEDICATIONS)
    last_fill = ctx.doc_date - dt.timedelta(days=rng.randint(25, 95))
    head = title(rng.choice(("REFILL AUTHORIZATION REQUEST", "PRESCRIPTION RENEWAL REQUEST")))
    head += [Line(labelled_date(ctx, rng.choice(("Date", "Request Date")), ctx.doc_date, "Request Date"))]
    head += patient_block(ctx)
    head += [Line(f"Prescriber: {ctx.our_provider}"), Line("")]
    first = [
        [Line("Medication:", "bold"), Line(med), Line(f"Qty: {rng.choice((30, 60, 90, 180))}   Refills: 0"),
         Line(labelled_date(ctx, "Last Fill", last_fill)), Line("")],
        [Line("[ ] APPROVED   Refills: ____      [ ] DENIED   Reason: ______________"), Line(""),
         Line("Prescriber Signature: ____________________   Date: __________"), Line("")],
        wrap(f"Please fax response to {ctx.sender['name']} at {ctx.sender['fax']}."),
    ]
    return Parts(head, _endless(first, lambda: _history_table(ctx)), _confidentiality(ctx))


def _correspondence(ctx: Ctx) -> Parts:
    rng = ctx.rng
    assert ctx.doc_date and ctx.pt
    raw = fmt_date(ctx.doc_date, rng.choice(("month", "month", "us")))
    ctx.dates.append({"label": "Letter Date", "value": ctx.doc_date.isoformat(), "raw": raw})
    recip = ctx.our_provider.split(",")[0]
    salutation = f"Dr. {recip.split()[-1]}" if recip.startswith("Dr. ") else recip
    head = [Line(raw), Line(""), Line(_data.OUR_OFFICE["name"]), Line(f"Attn: {recip}"),
            Line(_data.OUR_OFFICE["address"]), Line("")]
    head += patient_block(ctx) + [Line(""), Line(f"Dear {salutation},"), Line("")]
    first = [_prose_block(ctx, None, (3, 5)), _prose_block(ctx, None, (2, 4))]
    closing = [Line("Sincerely,"), Line(""), Line(ctx.provider), Line(ctx.sender["name"])]
    return Parts(head, _endless(first, lambda: _prose_block(ctx, None, (3, 6))), closing + _confidentiality(ctx))


def _intake_form(ctx: Ctx) -> Parts:
    rng = ctx.rng
    assert ctx.doc_date and ctx.row and ctx.pt
    row, pt = ctx.row, ctx.pt
    head = title("NEW PATIENT INFORMATION / INTAKE FORM")
    head += [Line(labelled_date(ctx, "Date", ctx.doc_date, "Form Date")), Line("")]
    pt.name = format_name(pt.given, pt.middle, pt.family, pt.suffix, "Last_First", "initial" if pt.middle else "none")
    tabs3 = (0.0, 0.4, 0.75)
    head += [Line(f"Last Name: {pt.family}{' ' + pt.suffix if pt.suffix else ''}\tFirst Name: {pt.given}\t"
                  f"MI: {pt.middle[:1]}", tabs=tabs3)]
    if pt.dob_raw:
        head += [Line(f"Date of Birth: {pt.dob_raw}\tSex: [{'X' if pt.sex == 'M' else ' '}] M  "
                      f"[{'X' if pt.sex == 'F' else ' '}] F", tabs=(0.0, 0.5))]
    if pt.mrn:
        pt.mrn_label = "Chart # (office use)"
        head += [Line(f"Chart # (office use): {pt.mrn}")]
    head += [Line(f"Address: {row['address']}"),
             Line(f"City: {row['city']}\tState: {row['state']}\tZIP: {row['postal_code']}", tabs=tabs3),
             Line(f"Home Phone: {row['phone']}"), Line("")]
    ec_given = rng.choice(_data.GIVEN_F + _data.GIVEN_M)
    payer = rng.choice(_data.PAYERS)
    first = [
        [Line("EMERGENCY CONTACT", "bold"),
         Line(f"Name: {ec_given} {split_suffix(row['family_name'])[0]}\tRelationship: "
              f"{rng.choice(('Spouse', 'Parent', 'Child', 'Sibling'))}", tabs=(0.0, 0.5)),
         Line(f"Phone: (555) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"), Line("")],
        [Line("INSURANCE", "bold"), Line(f"Primary: {payer[0]}"),
         Line(f"Member ID: {payer[1]}{rng.randint(100000000, 999999999)}\tGroup: {rng.randint(1000, 99999)}",
              tabs=(0.0, 0.5)), Line("")],
        [Line("MEDICAL HISTORY (check all that apply)", "bold"),
         Line("[ ] Diabetes  [ ] High blood pressure  [ ] Asthma  [ ] Heart disease  [ ] Cancer"),
         Line("Allergies: " + rng.choice(("NKDA", "Penicillin", "Sulfa drugs", "Latex", "Codeine"))), Line("")],
        [Line("CURRENT MEDICATIONS", "bold")] + [Line(f"- {m}") for m in rng.sample(_data.MEDICATIONS, 3)]
        + [Line("")],
    ]
    sig = fmt_date(ctx.doc_date, "us")
    closing = [Line(f"Patient Signature: /s/ {pt.given} {pt.family}\tDate: {sig}", tabs=(0.0, 0.65))]
    return Parts(head, _endless(first, lambda: _history_table(ctx)), closing)


def _insurance_card(ctx: Ctx) -> Parts:
    rng = ctx.rng
    assert ctx.pt
    pt = ctx.pt
    payer = ctx.sender
    pt.name = format_name(pt.given, pt.middle, pt.family, pt.suffix, "FIRST_LAST", rng.choice(("initial", "none")))
    member = next((f["value"] for f in pt.foreign_ids if f["kind"] == "member_id"), None)
    eff = ctx.sent.date().replace(month=1, day=1)
    ctx.dates.append({"label": "Effective", "value": eff.isoformat(), "raw": fmt_date(eff, "us")})
    head = title("COPY OF INSURANCE CARD - FRONT")
    head += [Line(payer["name"].upper(), "title"), Line(f"Plan: {rng.choice(('PPO', 'HMO', 'EPO', 'POS'))}"),
             Line(f"Member: {pt.name}")]
    if member:
        head.append(Line(f"Member ID: {member}"))
    if pt.dob_raw:
        head.append(Line(f"DOB: {pt.dob_raw}"))
    head += [Line(f"Group No: {rng.randint(10000, 99999)}\tEffective: {fmt_date(eff, 'us')}", tabs=(0.0, 0.5)),
             Line(f"RxBIN: {rng.randint(100000, 999999)}   RxPCN: {rng.choice(('ADV', 'MEDDPRIME', 'BHPRX'))}"),
             Line(f"Copay: PCP {_money(rng, 10, 40)} / Specialist {_money(rng, 30, 80)} / ER {_money(rng, 100, 350)}"),
             Line("")]
    back = [Line("COPY OF INSURANCE CARD - BACK", "bold"),
            Line(f"Member Services: {payer['phone']}"), Line(f"Provider Claims: {payer['address']}"),
            Line("Present this card at time of service. Card does not guarantee coverage."), Line("")]
    return Parts(head, _endless([back], lambda: _history_table(ctx)), [], letterhead=False)


def _fax_cover(ctx: Ctx) -> Parts:
    rng = ctx.rng
    total = ctx.extra.get("total_pages", 1)
    urgent = _chance(ctx, "urgent", 0.12)
    if urgent:
        ctx.urgent.append("urgent_marked")
    raw = fmt_date(ctx.sent.date(), rng.choice(("us", "mon", "us_short")))
    ctx.dates.append({"label": "Fax Date", "value": ctx.sent.date().isoformat(), "raw": raw})
    tabs = (0.0, 0.5)
    head = title(rng.choice(("FAX", "FACSIMILE TRANSMITTAL", "FAX COVER SHEET")))
    head += [Line(f"Date: {raw}\tPages (incl. cover): {total}", tabs=tabs),
             Line(f"To: {_data.OUR_OFFICE['name']}\tFax: {_data.OUR_OFFICE['fax']}", tabs=tabs),
             Line(f"Attn: {ctx.our_provider}\tPhone: {_data.OUR_OFFICE['phone']}", tabs=tabs),
             Line(f"From: {ctx.sender['name']}\tFax: {ctx.sender['fax']}", tabs=tabs), Line("")]
    if ctx.pt:
        ctx.pt.mrn, ctx.pt.mrn_label, ctx.pt.foreign_ids = None, None, []  # a cover prints name + DOB only
        mid = "initial" if ctx.pt.middle else "none"
        ctx.pt.name = format_name(ctx.pt.given, ctx.pt.middle, ctx.pt.family, ctx.pt.suffix, "first_last", mid)
        dob = f"   DOB: {ctx.pt.dob_raw}" if ctx.pt.dob_raw else ""
        head += [Line(f"RE: {ctx.pt.name}{dob}")]
    elif ctx.extra.get("batch_patients"):
        head += [Line(f"RE: Records for {ctx.extra['batch_patients']} patients (see attached)")]
    boxes = f"[{'X' if urgent else ' '}] Urgent   [{'X' if not urgent else ' '}] For Review   " \
            "[ ] Please Reply   [ ] Please Comment"
    head += [Line(""), Line(boxes), Line("")]
    msg = ctx.extra.get("message") or rng.choice((
        "Please see attached records as requested.",
        "Attached are results for your patient. Please review at your earliest convenience.",
        "Please find enclosed documents for your records. Call with any questions.",
    ))
    first = [[Line("Message:", "bold")] + wrap(msg) + [Line("")]]
    return Parts(head, _endless(first, lambda: _history_table(ctx)),
                 [Line("")] + [Line(t, "small") for t in _data.CONFIDENTIALITY])


def _years_later(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _roi_authorization(ctx: Ctx) -> Parts:
    rng = ctx.rng
    assert ctx.doc_date and ctx.pt
    pt = ctx.pt
    missing: list[str] = []
    if _chance(ctx, "roi_incomplete", 0.35):
        missing = rng.sample(list(ROI_ELEMENTS), rng.choice((1, 1, 2)))
    present = {e: e not in missing for e in ROI_ELEMENTS}
    recipient = f"{ctx.sender['name']}, {ctx.sender['address']}"
    purpose = rng.choice(("Continuity of care", "Legal proceedings", "Insurance claim review",
                          "At the request of the individual", "Disability determination"))
    use_event = rng.random() < 0.25
    expired = not use_event and rng.random() < 0.1
    expires = (ctx.sent.date() - dt.timedelta(days=rng.randint(3, 60)) if expired
               else ctx.doc_date + dt.timedelta(days=rng.choice((90, 180, 365))))
    event = rng.choice(("upon settlement of the claim", "one year from the date signed",
                        "at the end of the treatment relationship")) if use_event else None
    head = title("AUTHORIZATION FOR RELEASE OF PROTECTED HEALTH INFORMATION")
    head += patient_block(ctx) + [Line("")]
    body: list[Line] = []
    if present["disclosing_party"]:
        body += wrap(f"I authorize {_data.OUR_OFFICE['name']}, {_data.OUR_OFFICE['address']}, "
                     "to disclose the information described below.")
    if present["recipient"]:
        body += [Line("")] + wrap(f"Release to (recipient): {recipient}")
    if present["description"]:
        start = ctx.doc_date - dt.timedelta(days=rng.choice((365, 730, 1825)))
        body += [Line(""), Line("Information to be released:", "bold"),
                 Line("[X] Office/progress notes  [X] Lab results  [X] Imaging reports  [ ] Entire record"),
                 Line(f"Dates of service: {fmt_date(start, 'us')} to present")]
    if present["purpose"]:
        body += [Line(""), Line(f"Purpose of disclosure: {purpose}")]
    if present["expiration"]:
        body += [Line("")] + (wrap(f"This authorization expires {event}.") if event else
                              [Line(f"This authorization expires on: {fmt_date(expires, 'us')}")])
    statements = [Line(""), Line("I UNDERSTAND THAT:", "bold")]
    if present["revocation_statement"]:
        statements += wrap("1. I may revoke this authorization at any time by written notice to the "
                           "disclosing provider, except to the extent that action has already been "
                           "taken in reliance on it.")
    if present["conditioning_statement"]:
        statements += wrap("2. Treatment, payment, enrollment or eligibility for benefits will not be "
                           "conditioned on whether I sign this authorization.")
    if present["redisclosure_statement"]:
        statements += wrap("3. Information disclosed under this authorization may be redisclosed by the "
                           "recipient and may no longer be protected by federal privacy law.")
    signed = ctx.doc_date
    rep = rng.random() < 0.15
    if present["signature"]:
        who = f"{rng.choice(_data.GIVEN_F + _data.GIVEN_M)} {pt.family}" if rep else f"{pt.given} {pt.family}"
        closing = [Line(""), Line(f"Signature: /s/ {who}\t{labelled_date(ctx, 'Date', signed, 'Signed')}",
                                  tabs=(0.0, 0.62))]
        if rep:
            closing.append(Line("Relationship to patient: Legal representative (healthcare POA)"))
    else:
        closing = [Line(""), Line("Signature: ______________________________\tDate: ____________",
                                  tabs=(0.0, 0.62))]
    expires_truth = expires.isoformat() if present["expiration"] and not event else None
    if event == "one year from the date signed":  # a duration, not an event: the date it works out to
        expires_truth = (_years_later(signed, 1).isoformat() if present["expiration"] and present["signature"]
                         else None)
        event = None
    ctx.extra["roi"] = {
        "elements": present, "missing": missing, "valid": not missing and not expired,
        "recipient": recipient if present["recipient"] else None,
        "purpose": purpose if present["purpose"] else None,
        "expires": expires_truth,
        "expiration_event": event if present["expiration"] else None,
        "expired": expired, "signed_date": signed.isoformat() if present["signature"] else None,
        "signed_by_representative": rep and present["signature"],
    }
    # Every element that is present must be printed: nothing here is optional filler.
    return Parts(head + body, _endless([], lambda: _roi_attachment(ctx)), statements + closing)


def _roi_attachment(ctx: Ctx) -> list[Line]:
    return [Line(""), Line("ATTACHMENT A - RECORDS REQUESTED", "bold")] + _history_table(ctx)[2:]


GENERATORS: dict[str, Callable[[Ctx], Parts]] = {
    "fax_cover": _fax_cover, "lab_result": _lab_result, "referral": _referral,
    "roi_authorization": _roi_authorization, "insurance_card": _insurance_card,
    "intake_form": _intake_form, "prescription_request": _prescription_request,
    "imaging_report": _imaging_report, "discharge_summary": _discharge_summary,
    "clinical_note": _clinical_note, "correspondence": _correspondence,
}

SENDER_KINDS: dict[str, tuple[str, ...]] = {
    "fax_cover": ("clinic", "hospital", "lab", "imaging"),
    "lab_result": ("lab", "hospital"),
    "referral": ("clinic", "hospital"),
    "roi_authorization": ("law", "payer", "clinic"),
    "insurance_card": ("payer",),
    "intake_form": ("own",),
    "prescription_request": ("pharmacy",),
    "imaging_report": ("imaging", "hospital"),
    "discharge_summary": ("hospital",),
    "clinical_note": ("clinic", "hospital"),
    "correspondence": ("clinic", "payer", "hospital"),
}


# --------------------------------------------------------------------------
# assembly
# --------------------------------------------------------------------------
def pick_sender(rng: random.Random, doc_type: str) -> dict[str, Any]:
    """A plausible sending organisation for the document type."""
    kinds = SENDER_KINDS[doc_type]
    if kinds == ("own",):
        own: dict[str, Any] = dict(_data.OUR_OFFICE)
        own.update(short="MAPLE ST FAMILY MED", kind="own", ids=())
        return own
    return dict(rng.choice([o for o in _data.ORGS if o["kind"] in kinds]))


def paginate(first: list[Line], cont: list[Line], blocks: list[list[Line]],
             capacity: float = PAGE_CAPACITY) -> list[list[Line]]:
    """Greedy page filling; a block never splits unless it is taller than a page."""
    pages: list[list[Line]] = [list(first)]
    used = sum(ln.units for ln in first)
    for block in blocks:
        h = sum(ln.units for ln in block)
        if used + h > capacity and used > sum(ln.units for ln in cont):
            pages.append(list(cont))
            used = sum(ln.units for ln in cont)
        for ln in block:
            if used + ln.units > capacity:
                pages.append(list(cont))
                used = sum(ln.units for ln in cont)
            pages[-1].append(ln)
            used += ln.units
    return pages


def _fill(parts: Parts, first: list[Line], cont: list[Line], pages: int,
          rng: random.Random) -> list[list[Line]]:
    """Take blocks until the document has exactly ``pages`` pages (last page partly full)."""
    target = (pages - 1) * PAGE_CAPACITY + rng.uniform(0.35, 0.85) * PAGE_CAPACITY
    body: list[list[Line]] = []
    for _ in range(200):
        block = next(parts.blocks)
        trial = paginate(first, cont, body + [block, parts.closing])
        if len(trial) > pages:
            if len(paginate(first, cont, body + [parts.closing])) >= pages:
                break
            continue  # block too big for the remaining room; try another
        body.append(block)
        used = sum(ln.units for p in trial for ln in p)
        if len(trial) == pages and used >= target:
            break
    return paginate(first, cont, body + [parts.closing])


def make_document(
    rng: random.Random,
    doc_type: str,
    row: dict[str, str] | None,
    *,
    sent: dt.datetime,
    pages: int | None = None,
    extras: dict[str, str] | None = None,
    in_roster: bool = True,
    sender: dict[str, Any] | None = None,
    cover: dict[str, Any] | None = None,
    force: dict[str, bool] | None = None,
) -> Document:
    """Generate one document for patient ``row`` (``None`` only for a batch cover sheet).

    ``in_roster`` False marks an unknown patient (ground-truth mrn is None).
    ``cover`` passes fax-cover details (total_pages, batch_patients, message).
    ``force`` pins random choices: ``urgent`` (critical value / URGENT box) and
    ``roi_incomplete``; ``extras["force_variant"]`` pins nickname|maiden|ascii.
    """
    if doc_type not in GENERATORS:
        raise ValueError(f"unknown doc_type {doc_type!r}; choose from {', '.join(DOC_TYPES)}")
    if row is None and doc_type != "fax_cover":
        raise ValueError("only a fax_cover may have no patient")
    n_pages = pages or rng.randint(*NATURAL_PAGES[doc_type])
    sender = sender or pick_sender(rng, doc_type)
    pt = printed_patient(rng, row, extras or {}, doc_type, sender, in_roster) if row else None
    ctx = Ctx(rng=rng, doc_type=doc_type, row=row, pt=pt, sender=sender, sent=sent,
              provider=rng.choice(_data.PROVIDERS), our_provider=rng.choice(_data.OUR_PROVIDERS))
    ctx.extra.update(cover or {})
    ctx.extra["force"] = dict(force or {})
    if doc_type == "fax_cover":
        ctx.doc_date = sent.date()
    elif doc_type != "insurance_card":
        ctx.doc_date = choose_doc_date(rng, sent)
    parts = GENERATORS[doc_type](ctx)
    head = (letterhead(ctx) if parts.letterhead else []) + parts.head
    cont = continuation_header(ctx) if rng.random() < 0.7 else []
    page_lines = _fill(parts, head, cont, n_pages, rng)
    page_lines = _add_footers(rng, page_lines, sent)
    truth = _truth(ctx, row, in_roster)
    return Document(doc_type=doc_type, pages=page_lines, truth=truth, sender=sender)


def _add_footers(rng: random.Random, pages: list[list[Line]], sent: dt.datetime) -> list[list[Line]]:
    style = rng.choice(("page_of", "page_of", "printed", "none"))
    if style == "none":
        return pages
    n = len(pages)
    out = []
    for i, p in enumerate(pages, 1):
        text = f"Page {i} of {n}"
        if style == "printed":
            text = f"Printed: {fmt_date(sent.date(), 'us')} {sent:%H:%M}\t{text}"
        out.append(p + [Line(text, "footer", tabs=(0.0, 0.8))])
    return out


def _truth(ctx: Ctx, row: dict[str, str] | None, in_roster: bool) -> dict[str, Any]:
    pt = ctx.pt
    return {
        "doc_type": ctx.doc_type,
        "doc_date": ctx.doc_date.isoformat() if ctx.doc_date else None,
        "mrn": (row or {}).get("mrn") or None if in_roster else None,
        "mrn_printed": bool(pt and pt.mrn),
        "name": pt.name if pt else None,
        "name_variant": pt.variant if pt else None,
        "name_layout": "fields" if ctx.doc_type == "intake_form" else "inline",  # fields: Last/First/MI boxes
        "given": pt.given if pt else None,
        "family": pt.family if pt else None,
        "dob": pt.dob.isoformat() if pt and pt.dob else None,
        "dob_raw": pt.dob_raw if pt else None,
        "sex": pt.sex if pt else None,
        "urgent": bool(ctx.urgent),
        "urgency_reasons": sorted(set(ctx.urgent)),
        "sender": ctx.sender["name"],
        "sender_phone": ctx.sender["phone"],
        "sender_fax": ctx.sender["fax"],
        "foreign_ids": list(pt.foreign_ids) if pt else [],
        "own_mrn_label": pt.mrn_label if pt else None,
        "dates": list(ctx.dates),
        "roi": ctx.extra.get("roi"),
        "critical_tests": ctx.extra.get("critical_tests", []),
    }

"""Reading a page's patient identifiers: names, birth dates and MRNs with their labels.

Owns :class:`IdentifierReader`, built once per worker from the roster lexicon
(names, DOBs, the office MRN format) and the configuration.  :mod:`intake.entities`
finds the labels and hands each identifier label's value here:

* names: a name label's value is the patient's name when the label is the
  patient's (:func:`intake.patient_ids.name_label`); a roster name found inside
  it by the OCR-tolerant gazetteer gives the roster spelling, otherwise the
  parsed value counts if it looks like a person's name;
* birth dates: :func:`intake.patient_ids.read_dob` (damaged dates, one
  OCR-confusable digit repaired only to a roster birth date);
* MRNs: ours / unsaid / theirs by the label's words (:mod:`intake.identifiers`)
  and the office format (learned from the roster).

Nothing here logs text or values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from intake import names
from intake._exec.nlp import Hit
from intake.config import Config
from intake.identifiers import (
    LearnedFormat,
    OrgName,
    Owner,
    RegexFormat,
    label_owner,
    load_format,
    qualifier_words,
)
from intake.model import IdScheme, NameMention, RosterLexicon, ValueMention
from intake.mrnformat import from_pattern
from intake.patient_ids import NameLabel, cut_name_value, looks_like_person, name_label, read_dob

_ID_VALUE = re.compile(r"^\(?[A-Za-z0-9][A-Za-z0-9\-]{2,19}")


@dataclass
class LabelName:
    """A name label's value on a page, before it is checked against the roster gazetteer."""

    start: int
    end: int
    family: str
    given: str
    middle: str | None
    raw: str
    strength: NameLabel


class IdentifierReader:
    """Per-worker knowledge (roster lexicon, MRN format, office) applied to identifier label values."""

    def __init__(self, cfg: Config, lexicon: RosterLexicon, today: date) -> None:
        self._today = today
        self._gazetteer = names.Gazetteer(lexicon.names)
        self._format = load_format(lexicon.mrn_format) or setting_format(cfg.extract.mrn_pattern)
        self._office = [o for o in (OrgName.of(n) for n in [cfg.office.name, *cfg.office.aliases]) if o]
        self._roster_dobs = frozenset(lexicon.dobs)
        self._known_given = names.given_vocabulary(g for _, g in lexicon.names)
        self._known_family = frozenset(names.fold(f) for f, _ in lexicon.names)

    # ----- names ---------------------------------------------------------------
    def label_name(self, text: str, hit: Hit, span: tuple[int, int]) -> LabelName | None:
        """A name label's value, if the label is the patient's (checked against the gazetteer in :meth:`names`)."""
        strength = name_label(hit.text, text, hit.start)
        if strength is None:
            return None
        start = span[0]
        value = cut_name_value(text[start:span[1]])
        if not value:
            return None
        parsed = names.parse_name(value)
        return LabelName(start, start + len(value), parsed.family if parsed else "", parsed.given if parsed else "",
                         parsed.middle if parsed else None, value, strength)

    def names(self, number: int, text: str, label_names: list[LabelName]) -> list[NameMention]:
        """Roster names found in the text; a label's value that holds one is that (labelled) name."""
        hits = self._gazetteer.find(text) if len(self._gazetteer) else []
        out: list[NameMention] = []
        for ln in label_names:
            inside = [g for g in hits if ln.start - 1 <= g.start and g.end <= ln.end + 1]
            if inside:
                g = max(inside, key=lambda h: (h.exact, h.end - h.start))
                out.append(NameMention(g.family, g.given, None, raw=text[g.start:g.end], page=number,
                                       source="label", confidence=0.95 if g.exact else 0.9))
            elif ln.family and ln.given and (ln.strength is NameLabel.STRONG or looks_like_person(
                    ln.family, ln.given, self._known_given, self._known_family)):
                out.append(NameMention(ln.family, ln.given, ln.middle, raw=ln.raw, page=number, source="label",
                                       confidence=0.9))
        out += [NameMention(g.family, g.given, None, raw=text[g.start:g.end], page=number, source="gazetteer",
                            confidence=0.85 if g.exact else 0.7) for g in hits]
        reconcile_names(out)
        return out

    # ----- birth dates -----------------------------------------------------------
    def dob(self, number: int, label: str, value: str) -> ValueMention | None:
        read = read_dob(value, self._today, self._roster_dobs)
        return None if read is None else ValueMention(read.iso, read.raw, number, label, confidence=read.confidence)

    # ----- MRNs ------------------------------------------------------------------
    def labelled_id(self, number: int, text: str, hit: Hit, value: str, senders: list[OrgName]) -> ValueMention | None:
        """A value after an MRN-style label: ours, unsaid or theirs by the label's words."""
        raw, own = self._id_value(value)
        if raw is None:
            return None
        qualifier = qualifier_words(text, hit.start, hit.end)
        owner = label_owner(hit.text, qualifier, senders, self._office)
        scheme: IdScheme = "foreign"
        distinctive = self._format is not None and self._format.distinctive
        if own is not None and (owner is Owner.OURS or owner is Owner.UNSAID and distinctive):
            scheme = "own"  # a letter-prefixed office format is telling even after a bare "MRN:"
        elif own is not None and owner is Owner.UNSAID:
            scheme = "plain"
        conf = 0.8 if scheme == "foreign" else 0.99 if own == raw.upper() else 0.9
        return ValueMention(own if own is not None and scheme != "foreign" else raw.upper(), raw, number,
                            " ".join([*qualifier, hit.text]), scheme=scheme, confidence=conf)

    def _id_value(self, value: str) -> tuple[str | None, str | None]:
        """(the identifier at the start of a label's value, its office-format reading or None)."""
        value = value.strip()
        if self._format is not None:
            m = self._format.tolerant().match(value)
            if m is not None and (own := self._format.normalise(m.group(0))) is not None:
                return m.group(0), own
        m = _ID_VALUE.match(value)
        if not m or not any(c.isdigit() for c in m.group(0)):
            return None, None
        raw = m.group(0).strip("()")
        return raw, self._format.normalise(raw) if self._format else None

    def own_mrns(self, number: int, text: str, taken: list[tuple[int, int]]) -> list[ValueMention]:
        """Unlabelled numbers of a distinctive office format (a letter prefix): ours by shape."""
        if self._format is None or not self._format.distinctive:
            return []
        out = []
        for m in self._format.tolerant().finditer(text):
            if any(a <= m.start() < b for a, b in taken):
                continue
            value = self._format.normalise(m.group(0))
            if value is not None:
                conf = 0.99 if value == m.group(0) else 0.9
                out.append(ValueMention(value, m.group(0), number, None, scheme="own", confidence=conf))
        return out


def setting_format(pattern: str) -> LearnedFormat | RegexFormat | None:
    """The format an explicit ``extract.mrn_pattern`` gives (extractor built without a roster lexicon)."""
    if not pattern.strip():
        return None
    fmt = from_pattern(pattern)
    return LearnedFormat(fmt) if fmt is not None else RegexFormat(pattern)


def reconcile_names(mentions: list[NameMention]) -> None:
    """A labelled name that is a roster name with an OCR slip takes the roster spelling."""
    roster = [m for m in mentions if m.source == "gazetteer"]
    for m in [m for m in mentions if m.source == "label"]:
        fam, giv = names.fold(m.family), names.fold(m.given)
        for r in roster:
            r_fam, r_giv = names.fold(r.family), names.fold(r.given)
            if (fam, giv) == (r_fam, r_giv):
                r.confidence = max(r.confidence, 0.95)
            elif giv == r_giv and (fam.endswith(r_fam) or names.within_one(fam, r_fam)):
                r.confidence = max(r.confidence, 0.95)
                mentions.remove(m)
                break


def dedupe_names(mentions: list[NameMention]) -> list[NameMention]:
    """One mention per (folded) name, the most confident (labelled if any of them was), most confident first."""
    best: dict[tuple[str, str], NameMention] = {}
    labelled: set[tuple[str, str]] = set()
    for m in mentions:
        key = (names.fold(m.family), names.fold(m.given))
        if m.source == "label":
            labelled.add(key)
        if key not in best or m.confidence > best[key].confidence:
            best[key] = m
    out = [replace(m, source="label") if k in labelled and m.source != "label" else m for k, m in best.items()]
    return sorted(out, key=lambda m: (-m.confidence, m.page))


def dedupe_values(values: list[ValueMention]) -> list[ValueMention]:
    """One mention per (value, scheme), the most confident."""
    best: dict[tuple[str, str | None], ValueMention] = {}
    for v in values:
        key = (v.value, v.scheme)
        if key not in best or v.confidence > best[key].confidence:
            best[key] = v
    return list(best.values())

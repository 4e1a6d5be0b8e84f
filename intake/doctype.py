"""Document-type classification (weighted phrase rules in a data file) and urgency flags.

The rules live in ``intake/data/doctypes.toml`` (a practice can edit a copy
and point ``extract.doctypes_file`` at it).  :func:`classify` scores every
type by where its words stand (:mod:`intake.doctype_score`: title, heading,
label, running text, checklist), :func:`decide` returns the winner, a
confidence in 0..1 and the type's LOINC code.  Compiled rules are cached
per path, built lazily on first use.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from intake.errors import ConfigError

log = logging.getLogger(__name__)

DOC_TYPES = ("fax_cover", "lab_result", "referral", "roi_authorization", "insurance_card",
             "intake_form", "prescription_request", "imaging_report", "discharge_summary",
             "clinical_note", "correspondence")
MAX_CONFIDENCE = 0.99

# Urgency: critical/panic flags, STAT, a ticked "urgent" box, a critical imaging finding.
_CRITICAL = re.compile(r"(?<![\w-])(CRITICAL|PANIC|CRIT|HH|LL)(?![\w-])")
_CRITICAL_BOILERPLATE = re.compile(r"(?i)critical values? (are|will be|is) (called|reported|phoned)")
_CRITICAL_FINDING = re.compile(r"(?i)critical finding")
_STAT = re.compile(r"(?<![\w-])STAT(?![\w-])")
_URGENT_BOX = re.compile(r"(?i)[\[(|lI]\s*[x✓✔]\s*[\])|lI]?\s*urgent")
_URGENT_PRIORITY = re.compile(r"(?i)priority\s*[:.]?\s*(urgent|asap|emergent)")


@dataclass(frozen=True)
class TypeRule:
    """Compiled rule for one document type."""

    name: str
    loinc: str | None
    phrases: tuple[tuple[str, re.Pattern[str], float], ...]  # (normalised phrase, regex, weight)
    patterns: tuple[tuple[re.Pattern[str], float], ...]


DEFAULT_POSITION = (("title", 3.0), ("heading", 1.5), ("subject", 1.5), ("label", 1.0),
                    ("other", 1.0), ("sentence", 0.6), ("contact", 0.3), ("footer", 1.0),
                    ("signature", 0.3), ("lead", 1.5), ("checklist", 0.0), ("header", 0.0))


@dataclass(frozen=True)
class DoctypeRules:
    """All compiled rules plus scoring parameters."""

    types: tuple[TypeRule, ...]
    default: str = "correspondence"
    min_score: float = 3.0
    confidence_damping: float = 2.0
    # how much a phrase counts by where it stands (layout.Role value, or "title" for a
    # heading in the top zone of a document's first page)
    position: tuple[tuple[str, float], ...] = DEFAULT_POSITION

    def factor(self, where: str) -> float:
        return dict(self.position).get(where, 1.0)

    def loinc(self, name: str) -> str | None:
        for rule in self.types:
            if rule.name == name:
                return rule.loinc
        return None


def _normalise(text: str) -> str:
    """Lower case, whitespace runs collapsed: phrases are matched on this form."""
    return " ".join(text.lower().split())


def _phrase(phrase: str, weight: object) -> tuple[str, re.Pattern[str], float]:
    norm = _normalise(phrase)
    left = r"\b" if norm[:1].isalnum() else ""
    right = r"\b" if norm[-1:].isalnum() else ""
    return norm, re.compile(left + re.escape(norm) + right), float(weight)  # type: ignore[arg-type]


def _compile_type(name: str, spec: dict[str, object], where: str) -> TypeRule:
    phrases = spec.get("phrases", {})
    patterns = spec.get("patterns", {})
    if not isinstance(phrases, dict) or not isinstance(patterns, dict):
        raise ConfigError(f"{where}: [types.{name}] phrases/patterns must be tables")
    try:
        compiled_patterns = tuple((re.compile(p), float(w)) for p, w in patterns.items())
    except re.error as exc:
        raise ConfigError(f"{where}: bad regex in [types.{name}]: {exc}") from exc
    loinc = str(spec.get("loinc") or "") or None
    return TypeRule(name, loinc, tuple(_phrase(p, w) for p, w in phrases.items()), compiled_patterns)


def parse_rules(text: str, where: str = "doctypes.toml") -> DoctypeRules:
    """Compile rules from TOML text; raises ConfigError on mistakes."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    types = data.get("types")
    if not isinstance(types, dict) or not types:
        raise ConfigError(f"{where}: no [types.*] tables")
    compiled = tuple(_compile_type(n, s, where) for n, s in types.items())
    default = str(data.get("default", "correspondence"))
    position = dict(DEFAULT_POSITION)
    given = data.get("position", {})
    if not isinstance(given, dict) or not set(given) <= set(position):
        raise ConfigError(f"{where}: [position] takes only {', '.join(position)}")
    try:
        position.update({k: float(v) for k, v in given.items()})
        return DoctypeRules(compiled, default, float(data.get("min_score", 3.0)),
                            float(data.get("confidence_damping", 2.0)), tuple(position.items()))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: bad scoring parameter: {exc}") from exc


@lru_cache(maxsize=8)
def _load_cached(path: str) -> DoctypeRules:
    if not path:
        text = resources.files("intake.data").joinpath("doctypes.toml").read_text("utf-8")
        return parse_rules(text, "intake/data/doctypes.toml")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read document-type rules {path}: {exc}") from exc
    return parse_rules(text, path)


def load_rules(path: Path | None = None) -> DoctypeRules:
    """Rules from ``path`` or the bundled ``intake/data/doctypes.toml`` (cached)."""
    return _load_cached(str(path) if path else "")


def score(text: str, rules: DoctypeRules) -> dict[str, float]:
    """Score of every type for one page's (or one document's) ``text``, weighed by position."""
    from intake.doctype_score import score_layouts
    from intake.layout import analyse

    return score_layouts([analyse(page) for page in text.split("\f")], rules)


def is_cover(text: str, rules: DoctypeRules | None = None) -> bool:
    """A fax cover sheet page: its main content is the TO/FROM/FAX/pages block."""
    from intake.doctype_score import cover_page
    from intake.layout import analyse

    return cover_page(analyse(text), rules or load_rules())


def decide(scores: dict[str, float], rules: DoctypeRules) -> tuple[str, float, str | None]:
    """(doc_type, confidence 0..1, LOINC code or None) from the scores of every type."""
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if not ranked or ranked[0][1] < rules.min_score:
        top = ranked[0][1] if ranked else 0.0
        conf = 0.5 if top == 0 else max(0.2, 0.5 - top / (2 * rules.min_score) * 0.3)
        return rules.default, round(conf, 3), rules.loinc(rules.default)
    best, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    conf = min(MAX_CONFIDENCE, top / (top + second + rules.confidence_damping))
    return best, round(conf, 3), rules.loinc(best)


def classify(text: str, rules: DoctypeRules | None = None) -> tuple[str, float, str | None]:
    """(doc_type, confidence 0..1, LOINC code or None) for a document's text (pages split by form feeds)."""
    rules = rules or load_rules()
    return decide(score(text, rules), rules)


def urgency(text: str) -> tuple[bool, list[str]]:
    """(urgent?, reasons) from critical/panic flags, STAT and ticked 'urgent' boxes."""
    reasons = []
    lines = [ln for ln in text.split("\n") if not _CRITICAL_BOILERPLATE.search(ln)]
    body = "\n".join(lines)
    if _CRITICAL_FINDING.search(body):
        reasons.append("critical_finding")
    if _CRITICAL.search(body.replace("CRITICAL FINDING", "")):
        reasons.append("critical_value")
    if _STAT.search(body):
        reasons.append("stat")
    if _URGENT_BOX.search(body) or _URGENT_PRIORITY.search(body):
        reasons.append("urgent_marked")
    return bool(reasons), sorted(set(reasons))

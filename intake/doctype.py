"""Document-type classification (weighted phrase rules in a data file) and urgency flags.

The rules live in ``intake/data/doctypes.toml`` (a practice can edit a copy
and point ``extract.doctypes_file`` at it).  :func:`classify` scores every
type, returns the winner, a confidence in 0..1 and the type's LOINC code.
Compiled rules are cached per path, built lazily on first use.
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


@dataclass(frozen=True)
class DoctypeRules:
    """All compiled rules plus scoring parameters."""

    types: tuple[TypeRule, ...]
    default: str = "correspondence"
    min_score: float = 3.0
    title_chars: int = 400
    title_factor: float = 2.0
    confidence_damping: float = 2.0

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
    try:
        return DoctypeRules(compiled, default, float(data.get("min_score", 3.0)),
                            int(data.get("title_chars", 400)),
                            float(data.get("title_factor", 2.0)),
                            float(data.get("confidence_damping", 2.0)))
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
    """Score of every type for ``text``."""
    norm = _normalise(text)
    title = _normalise(text[: rules.title_chars])
    out: dict[str, float] = {}
    for rule in rules.types:
        total = 0.0
        for phrase, regex, weight in rule.phrases:
            if phrase not in norm:  # cheap substring test first
                continue
            if phrase in title and regex.search(title):
                total += weight * rules.title_factor
            elif regex.search(norm):
                total += weight
        for regex, weight in rule.patterns:
            if regex.search(text):
                total += weight
        out[rule.name] = total
    return out


def best_score(text: str, rules: DoctypeRules) -> float:
    """The highest type score for ``text`` (below ``rules.min_score`` = no real evidence)."""
    return max(score(text, rules).values(), default=0.0)


COVER_MIN_SCORE = 6.0


def is_cover(text: str, rules: DoctypeRules | None = None) -> bool:
    """A fax cover sheet page: fax_cover wins clearly, on real cover evidence."""
    rules = rules or load_rules()
    scores = score(text, rules)
    cover = scores.get("fax_cover", 0.0)
    return cover >= COVER_MIN_SCORE and cover >= max(scores.values())


def classify(text: str, rules: DoctypeRules | None = None) -> tuple[str, float, str | None]:
    """(doc_type, confidence 0..1, LOINC code or None) for a document's text."""
    rules = rules or load_rules()
    scores = score(text, rules)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if not ranked or ranked[0][1] < rules.min_score:
        top = ranked[0][1] if ranked else 0.0
        conf = 0.5 if top == 0 else max(0.2, 0.5 - top / (2 * rules.min_score) * 0.3)
        return rules.default, round(conf, 3), rules.loinc(rules.default)
    best, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    conf = min(MAX_CONFIDENCE, top / (top + second + rules.confidence_damping))
    return best, round(conf, 3), rules.loinc(best)


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

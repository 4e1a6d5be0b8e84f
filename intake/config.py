"""The one typed configuration object shared by every command and the web app.

Configuration is read once: built-in defaults, then ``chartfile.toml`` in the
data home, then ``CHARTFILE_*`` environment variables (``CHARTFILE_SECTION__KEY``
for nested keys, e.g. ``CHARTFILE_MATCH__CERTAIN_SCORE=22``), then explicit
overrides from the command line.  Nothing else in the code base reads the
environment for settings.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.errors import ConfigError

ENV_PREFIX = "CHARTFILE_"
CONFIG_FILE = "chartfile.toml"


@dataclass
class FormatQuietConfig:
    """Least time a file of one format must stay unchanged before it is taken; 0 = the general rules.

    The general rules: ``quiet_seconds``, or ``settle_seconds`` when the
    format has an end marker that is in place (PDF, PNG, JPEG).  A TIFF has
    no end marker and is whole after every page, and fax servers write
    pages as they arrive, tens of seconds apart: it waits at least ``tiff``
    seconds after its last change.  The default, 60 s, is above the time one
    dense page takes at 9,600 bit/s (about 40-60 s, ECM retransmissions
    included), so a server that writes each page when it has received it is
    never cut between pages; it costs a TIFF written in place about a minute
    (docs/benchmarks.md, "Intake latency").  A TIFF renamed into the inbox
    whole (the kernel's events say it was never written there) does not
    wait; on a network share (no events) every TIFF waits.  Set ``tiff``
    above the longest pause your fax server makes between pages.
    """

    pdf: float = 0.0
    tiff: float = 60.0
    png: float = 0.0
    jpeg: float = 0.0

    def seconds(self, kind: str | None) -> float:
        """The configured least quiet time for a content type (0 when it has none)."""
        return float(getattr(self, kind, 0.0)) if kind in ("pdf", "tiff", "png", "jpeg") else 0.0


@dataclass
class IntakeConfig:
    """Hot-folder behaviour."""

    inbox: str = "inbox"  # relative paths are relative to the current directory
    quiet_seconds: float = 3.0  # size+mtime unchanged this long before a file is taken
    settle_seconds: float = 0.5  # ...or this long when its format shows it is complete (intake/completeness.py)
    quiet_by_format: FormatQuietConfig = field(default_factory=FormatQuietConfig)  # per-format least quiet time
    writer_timeout_seconds: float = 300.0  # a file still open for writing but unchanged this long is taken anyway
    rescan_seconds: float = 15.0  # full inbox rescan as a safety net
    polling: bool = False  # PollingObserver for SMB/NFS shares
    max_file_mb: int = 200
    max_pages: int = 300
    max_page_pixels: int = 120_000_000  # decompression-bomb guard per page
    page_timeout_seconds: float = 120.0
    max_attempts: int = 3  # transient failures retried this many times


@dataclass
class OcrConfig:
    """Text extraction and OCR."""

    workers: int = 0  # 0 = one per core
    language: str = "eng"
    psm: int = 4  # measured better than 6 on fax pages (docs/benchmarks-ocr.md)
    target_dpi: int = 300
    fax_dpi: int = 250  # fax pages with non-square pixels (204x98) are squared and resampled to this
    # black-and-white pages under 250 dpi (fine faxes, G4 scans) are upscaled to this and smoothed; 0 = off
    # (dev corpus 204x196 faxes: words missing 20.8% -> 10.3%, about +30% CPU on such pages)
    two_level_dpi: int = 300
    # ...but only when at least this share of their stroke cross-sections is thin (<= 0.01 in); bolder print
    # is read as sent (it gains 0.2 points from the upscale for ~35 % more CPU).  0 = upscale them all
    two_level_thin_share: float = 0.12
    resample: str = "bilinear"  # resize/deskew filter: bilinear | lanczos (docs/benchmarks-ocr.md)
    min_text_layer_chars: int = 20
    detect_orientation: bool = True
    # OCR words that are no word, one or two confusable shapes from exactly one common word of the
    # model's word list, are repaired ("contidential" -> "confidential"; intake/wordfix.py), and so are
    # units and test names in result rows, labels, page counters (intake/unitfix.py, intake/textfix.py)
    word_repair: bool = True
    engine: str = "library"  # library = libtesseract in each worker (model loaded once) | cli = the tesseract command


@dataclass
class ExtractConfig:
    """Entity extraction."""

    mrn_pattern: str = ""  # this office's MRN format as a regex; empty = learned from the roster at import
    spacy_model: str = ""  # optional installed model; blank 'en' when empty
    doctypes_file: str = ""  # optional override of the bundled doctypes.toml


@dataclass
class MatchConfig:
    """Patient matching thresholds (see docs/benchmarks-matching.md for how they were chosen)."""

    certain_score: float = 20.0
    probable_score: float = 12.0
    possible_score: float = 6.0
    min_margin: float = 8.0


@dataclass
class OfficeConfig:
    """Who this office is: printed on release packets, and used to spot faxes meant for someone else.

    ``aliases`` are other names the office is addressed by (a former name, the
    practice's trading name); ``providers`` are the clinicians who work here,
    as written on a fax's TO line ("Dr. Ana Ruiz").  Lists may be given in the
    environment comma-separated (``CHARTFILE_OFFICE__ALIASES="A, B"``).
    """

    name: str = ""
    address: str = ""
    phone: str = ""
    fax: str = ""
    aliases: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)


@dataclass
class AuditConfig:
    """The audit trail's key and where its signed checkpoints are published (docs/audit.md).

    These settings, like ``audit_enabled``, are read only from the environment
    (``CHARTFILE_AUDIT__KEY_FILE`` …), never from the data home's
    ``chartfile.toml``: whoever can write the data home must not be able to
    point the trail at a key or a checkpoint folder of their own.
    """

    key_file: str = ""  # empty = ~/.config/chartfile/audit.key of the account running Chartfile
    checkpoint_dir: str = ""  # a folder outside the data home, e.g. the privacy officer's share
    syslog: bool = True  # also publish every checkpoint to syslog/journald (facility authpriv)


@dataclass
class WebConfig:
    """Web UI."""

    host: str = "127.0.0.1"
    port: int = 8080
    session_hours: float = 8.0  # a login lasts at most this long, however active
    idle_minutes: float = 15.0  # automatic logoff after this long without a request (HIPAA 164.312(a)(2)(iii))
    lockout_attempts: int = 5  # failed logins in a row before the account is locked
    lockout_minutes: float = 15.0  # how long a locked account stays locked (an admin can unlock sooner)
    password_min_length: int = 12
    secure_cookies: str = "auto"  # auto = Secure when the request came over https | always | never
    workers: int = 2  # web server processes (Python runs one request at a time per process; 1 = single process)


@dataclass
class Config:
    """All settings.  ``home`` is the data home holding DB, index, spool, quarantine."""

    home: Path = field(default_factory=lambda: Path("chartfile-data"))
    database_url: str = ""  # empty = SQLite file in the home
    audit_enabled: bool = True
    intake: IntakeConfig = field(default_factory=IntakeConfig)
    ocr: OcrConfig = field(default_factory=OcrConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    match: MatchConfig = field(default_factory=MatchConfig)
    office: OfficeConfig = field(default_factory=OfficeConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    web: WebConfig = field(default_factory=WebConfig)

    # ----- derived paths -------------------------------------------------
    @property
    def db_url(self) -> str:
        """SQLAlchemy URL of the database."""
        return self.database_url or f"sqlite:///{(self.home / 'chartfile.db').resolve()}"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def spool_dir(self) -> Path:
        return self.home / "spool"

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    @property
    def inbox_dir(self) -> Path:
        return Path(self.intake.inbox)

    @property
    def worker_count(self) -> int:
        return self.ocr.workers or (os.cpu_count() or 1)


def _coerce(value: str, target: Any) -> Any:
    """Turn an environment string into the type of the default value."""
    if isinstance(target, bool):
        low = value.strip().lower()
        if low in {"1", "true", "yes", "on"}:
            return True
        if low in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"expected true/false, got {value!r}")
    if isinstance(target, int):
        return int(value)
    if isinstance(target, float):
        return float(value)
    if isinstance(target, Path):
        return Path(value)
    if isinstance(target, list):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


# Settings that decide whether and how the audit trail is kept: accepted from the
# environment (the service's unit file, owned by root) but never from the data
# home's chartfile.toml, which anyone who can write the data home can edit.
ENVIRONMENT_ONLY = frozenset({"audit_enabled", "audit", "audit.key_file", "audit.checkpoint_dir", "audit.syslog"})


def _apply(obj: Any, data: Mapping[str, Any], where: str, *, from_file: bool = False) -> None:
    """Apply a nested mapping onto a dataclass instance, checking names and types."""
    fields = {f.name: f for f in dataclasses.fields(obj)}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"unknown setting {where}{key}")
        if from_file and f"{where}{key}" in ENVIRONMENT_ONLY:
            env = ENV_PREFIX + f"{where}{key}".upper().replace(".", "__")
            raise ConfigError(f"{where}{key} cannot be set in {CONFIG_FILE}: anyone who can write the data "
                              "home could change how the audit trail is kept",
                              hint=f"Set it in the service's environment instead ({env}...), or for auditing "
                                   "on/off use 'chartfile audit disable --reason ...' (admin).")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                raise ConfigError(f"setting {where}{key} must be a table")
            _apply(current, value, f"{where}{key}.", from_file=from_file)
            continue
        try:
            new = _coerce(value, current) if isinstance(value, str) else value
            if isinstance(current, float) and isinstance(new, int) and not isinstance(new, bool):
                new = float(new)
            if isinstance(current, Path) and isinstance(new, str):
                new = Path(new)
            if isinstance(current, list) and not (isinstance(new, list) and all(isinstance(v, str) for v in new)):
                raise ValueError("expected a list of strings")
        except ValueError as exc:
            raise ConfigError(f"bad value for {where}{key}: {value!r}") from exc
        setattr(obj, key, new)


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Collect ``CHARTFILE_A__B=value`` into ``{"a": {"b": "value"}}``."""
    out: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "HOME":
            continue
        parts = name[len(ENV_PREFIX):].lower().split("__")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def load_config(
    home: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Build the configuration: defaults < chartfile.toml < environment < overrides."""
    env = os.environ if environ is None else environ
    home_path = Path(home or env.get(ENV_PREFIX + "HOME") or "chartfile-data")
    cfg = Config(home=home_path)
    file = home_path / CONFIG_FILE
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: {exc}") from exc
        data.pop("home", None)
        _apply(cfg, data, "", from_file=True)
    _apply(cfg, _env_overrides(env), "CHARTFILE_")
    if overrides:
        _apply(cfg, overrides, "")
    cfg.home = home_path
    _check(cfg)
    return cfg


RESAMPLE_CHOICES = ("bilinear", "bicubic", "lanczos")
ENGINE_CHOICES = ("library", "cli")
SECURE_COOKIE_CHOICES = ("auto", "always", "never")
MAX_WEB_WORKERS = 16


def _check(cfg: Config) -> None:
    """Reject values of the right type that still cannot work."""
    _check_values(cfg, "")
    if cfg.ocr.resample not in RESAMPLE_CHOICES:
        raise ConfigError(f"ocr.resample must be one of {', '.join(RESAMPLE_CHOICES)}, "
                          f"not {cfg.ocr.resample!r}")
    if cfg.ocr.engine not in ENGINE_CHOICES:
        raise ConfigError(f"ocr.engine must be one of {', '.join(ENGINE_CHOICES)}, not {cfg.ocr.engine!r}")
    if cfg.web.secure_cookies not in SECURE_COOKIE_CHOICES:
        raise ConfigError(f"web.secure_cookies must be one of {', '.join(SECURE_COOKIE_CHOICES)}, "
                          f"not {cfg.web.secure_cookies!r}")
    if cfg.web.idle_minutes <= 0 or cfg.web.session_hours <= 0 or cfg.web.lockout_attempts < 1:
        raise ConfigError("web.idle_minutes and web.session_hours must be positive, web.lockout_attempts at least 1")
    if not 1 <= cfg.web.workers <= MAX_WEB_WORKERS:
        raise ConfigError(f"web.workers must be 1 to {MAX_WEB_WORKERS}, not {cfg.web.workers}")
    if cfg.ocr.target_dpi < 72 or cfg.ocr.fax_dpi < 72:
        raise ConfigError("ocr.target_dpi and ocr.fax_dpi must be at least 72")
    if not 0 <= cfg.ocr.two_level_thin_share <= 1:
        raise ConfigError(f"ocr.two_level_thin_share must be 0 to 1 (0 = upscale every black-and-white page "
                          f"under 250 dpi), not {cfg.ocr.two_level_thin_share}")


# C0/C1 control characters, and the bidirectional formatting characters that make
# text display in another order than it is stored ("Trojan Source").
_BAD_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def bad_text(value: str) -> str | None:
    """Why ``value`` cannot be stored as a one-line name or setting (None when it can)."""
    match = _BAD_CHARS.search(value)
    if match is None:
        return None
    char = match.group()
    code = ord(char)
    kind = ("a control character" if code < 0xA0 else "a line-separator character" if code in (0x2028, 0x2029)
            else "a bidirectional-override character")
    return f"contains {kind} (U+{ord(char):04X})"


def one_line(value: object) -> str:
    """Text for one line of output: control and bidi characters shown as ``\\uXXXX``, never obeyed."""
    return _BAD_CHARS.sub(lambda m: f"\\u{ord(m.group()):04x}", "" if value is None else str(value))


def _check_values(obj: Any, where: str) -> None:
    """No negative numbers, no control or bidi characters, anywhere in the configuration."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        name = f"{where}{f.name}"
        if dataclasses.is_dataclass(value):
            _check_values(value, f"{name}.")
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int | float) and (value < 0 or value != value or value in (float("inf"),)):
            raise ConfigError(f"{name} must be a number of zero or more, not {value!r}")
        elif isinstance(value, str | Path):
            texts = [str(value)]
        elif isinstance(value, list):
            texts = [str(v) for v in value]
        else:
            continue
        if isinstance(value, str | Path | list):
            for text in texts:
                problem = bad_text(text)
                if problem:
                    raise ConfigError(f"{name} {problem}", hint="Retype the value without hidden characters.")

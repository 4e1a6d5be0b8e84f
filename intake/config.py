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
    seconds.  Set ``tiff`` above the longest pause your fax server makes
    between pages; lower it (to ``quiet_seconds``) only when every TIFF is
    written elsewhere and renamed into the inbox whole.
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
    resample: str = "bilinear"  # resize/deskew filter: bilinear | lanczos (docs/benchmarks-ocr.md)
    min_text_layer_chars: int = 20
    detect_orientation: bool = True
    engine: str = "library"  # library = libtesseract in each worker (model loaded once) | cli = the tesseract command


@dataclass
class ExtractConfig:
    """Entity extraction."""

    mrn_pattern: str = r"CF\d{6}"  # this office's MRN format
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
class WebConfig:
    """Web UI."""

    host: str = "127.0.0.1"
    port: int = 8080
    session_hours: float = 8.0


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


def _apply(obj: Any, data: Mapping[str, Any], where: str) -> None:
    """Apply a nested mapping onto a dataclass instance, checking names and types."""
    fields = {f.name: f for f in dataclasses.fields(obj)}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"unknown setting {where}{key}")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                raise ConfigError(f"setting {where}{key} must be a table")
            _apply(current, value, f"{where}{key}.")
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
        _apply(cfg, data, "")
    _apply(cfg, _env_overrides(env), "CHARTFILE_")
    if overrides:
        _apply(cfg, overrides, "")
    cfg.home = home_path
    _check(cfg)
    return cfg


RESAMPLE_CHOICES = ("bilinear", "bicubic", "lanczos")
ENGINE_CHOICES = ("library", "cli")


def _check(cfg: Config) -> None:
    """Reject values of the right type that still cannot work."""
    if cfg.ocr.resample not in RESAMPLE_CHOICES:
        raise ConfigError(f"ocr.resample must be one of {', '.join(RESAMPLE_CHOICES)}, "
                          f"not {cfg.ocr.resample!r}")
    if cfg.ocr.engine not in ENGINE_CHOICES:
        raise ConfigError(f"ocr.engine must be one of {', '.join(ENGINE_CHOICES)}, not {cfg.ocr.engine!r}")
    if cfg.ocr.target_dpi < 72 or cfg.ocr.fax_dpi < 72:
        raise ConfigError("ocr.target_dpi and ocr.fax_dpi must be at least 72")
    waits = {"intake.quiet_seconds": cfg.intake.quiet_seconds, "intake.settle_seconds": cfg.intake.settle_seconds,
             "intake.writer_timeout_seconds": cfg.intake.writer_timeout_seconds}
    waits |= {f"intake.quiet_by_format.{f.name}": getattr(cfg.intake.quiet_by_format, f.name)
              for f in dataclasses.fields(FormatQuietConfig)}
    negative = [name for name, value in waits.items() if value < 0]
    if negative:
        raise ConfigError(f"{', '.join(negative)} cannot be negative")

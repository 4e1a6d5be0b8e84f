"""What the web app holds for its lifetime: the configuration, the database and the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from chartfile.service.office import Office
from intake.config import Config

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


@dataclass
class WebState:
    office: Office
    templates: Jinja2Templates
    routes: list[tuple[str, str]] = field(default_factory=list)  # (method, path template) of every route

    @property
    def cfg(self) -> Config:
        return self.office.cfg

    @property
    def pages(self) -> set[str]:
        return {path for method, path in self.routes if method == "GET"}


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.chartfile
    return state

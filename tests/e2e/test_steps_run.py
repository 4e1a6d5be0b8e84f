"""The ordered step list is the code that runs: the service walks intake.steps.STEPS, one handler per step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from indexer import service as service_module
from intake.steps import SERVICE_ENTRY, SERVICE_STEPS, STEP_NAMES, STEPS, RunsIn, StepName, following
from tests.e2e.helpers import make_home, text_pdf_bytes


def test_step_list_is_ordered_and_complete() -> None:
    assert STEP_NAMES == tuple(StepName)
    assert SERVICE_STEPS[0] == SERVICE_ENTRY and SERVICE_STEPS[-1] == StepName.INDEX
    assert [following(n) for n in STEP_NAMES] == [*STEP_NAMES[1:], None]
    assert {s.runs_in for s in STEPS if s.name in (StepName.PLAN, StepName.READ_PAGES, StepName.ENTITIES)} \
        == {RunsIn.WORKER}


def test_a_file_walks_every_service_step_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chartfile.service.runner import ingest

    cfg, db = make_home(tmp_path)
    walked: list[StepName] = []
    real_init = service_module.IntakeService.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        for name, handler in list(self._steps.items()):
            def traced(st: Any, name: StepName = name, handler: Any = handler) -> Any:
                walked.append(name)
                return handler(st)
            self._steps[name] = traced

    monkeypatch.setattr(service_module.IntakeService, "__init__", init)
    src = tmp_path / "lab.pdf"
    src.write_bytes(text_pdf_bytes(7))
    assert list(ingest(cfg, db, [src]).values()) == ["processed"]
    # (a one-page file is read and its entities found by the plan task: those steps only pass through)
    assert walked == list(SERVICE_STEPS)

    walked.clear()
    again = tmp_path / "again.pdf"
    again.write_bytes(text_pdf_bytes(7))
    assert list(ingest(cfg, db, [again]).values()) == ["duplicate"]
    assert walked == [StepName.DUPLICATE, StepName.ARCHIVE, StepName.INDEX]  # settled early

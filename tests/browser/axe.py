"""axe-core accessibility checks (axe's JavaScript ships inside the axe-playwright-python package)."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

BLOCKING = {"serious", "critical"}
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
           "resultTypes": ["violations"]}

_axe: Axe | None = None


def serious_violations(page: Any) -> list[str]:
    """Serious or critical WCAG 2.1 AA violations on the page, one line each (empty = pass)."""
    global _axe
    if _axe is None:
        _axe = Axe()
    results = _axe.run(page, options=WCAG_AA)
    out = []
    for v in results.response["violations"]:
        if v.get("impact") in BLOCKING:
            targets = ", ".join(str(n.get("target")) for n in v.get("nodes", [])[:3])
            out.append(f"{v['id']} ({v['impact']}): {v['help']} at {targets}")
    return out

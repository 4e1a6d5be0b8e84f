"""Every service action has a permission rule; roles get what the office expects; a refusal is exit 6 / 403."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from chartfile.service.actor import Actor, Channel, Role
from chartfile.service.permissions import RULES, Action, PermissionDenied, allowed, require

SERVICE = Path(__file__).resolve().parents[2] / "chartfile" / "service"


def actor(role: Role) -> Actor:
    return Actor(username="u1", role=role, os_login="u1", channel=Channel.WEB)


def test_every_action_has_a_rule_and_admin_may_do_everything() -> None:
    assert set(RULES) == set(Action)
    for action in Action:
        assert Role.ADMIN in RULES[action], action


@pytest.mark.parametrize("role, may, may_not", [
    (Role.CLERK, [Action.REVIEW_FILE, Action.SEARCH, Action.DOCUMENTS_EXPORT, Action.INTAKE_RETRY],
     [Action.ROI_RELEASE, Action.AUDIT_EXPORT, Action.INDEX_REBUILD]),
    (Role.ROI, [Action.ROI_RELEASE, Action.ROI_ACCOUNTING, Action.SEARCH, Action.CHART_VIEW],
     [Action.REVIEW_FILE, Action.AUDIT_EXPORT]),
    (Role.PRIVACY, [Action.AUDIT_EXPORT, Action.AUDIT_ACCESS_REPORT, Action.AUDIT_VERIFY],
     [Action.REVIEW_FILE, Action.ROI_RELEASE, Action.SEARCH]),
    (Role.PROVIDER, [Action.SEARCH, Action.CHART_VIEW], [Action.DOCUMENTS_EXPORT, Action.ROI_RELEASE,
                                                         Action.REVIEW_REJECT]),
])
def test_roles(role: Role, may: list[Action], may_not: list[Action]) -> None:
    for action in may:
        assert allowed(actor(role), action), (role, action)
        require(actor(role), action)
    for action in may_not:
        assert not allowed(actor(role), action), (role, action)
        with pytest.raises(PermissionDenied) as err:
            require(actor(role), action)
        assert err.value.exit_code == 6 and err.value.http_status == 403 and err.value.hint


def test_every_public_service_command_checks_a_permission_first() -> None:
    """Each public function taking (office, actor, ...) calls require(actor, Action.X) before anything else."""
    checked = 0
    for path in sorted(p for p in SERVICE.glob("*.py") if p.name != "disclosure.py"):  # (its helpers serve them)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in tree.body:
            if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("_"):
                continue
            args = [a.arg for a in fn.args.args]
            if args[:2] != ["office", "actor"]:
                continue
            body = [n for n in fn.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
            first = body[0]
            call = first.value if isinstance(first, ast.Expr) else None
            assert isinstance(call, ast.Call) and getattr(call.func, "id", "") == "require", \
                f"{path.name}:{fn.name} must start with require(actor, Action...)"
            checked += 1
    assert checked >= 40

"""Who may do what: one :class:`Action` per service command or query and one table of allowed roles.

Every service command and query calls :func:`require` first; a refusal is a
:class:`PermissionDenied` (exit 6, HTTP 403) and is never silent.  Front ends
may hide what a role cannot do, but the rule lives only here.
"""

from __future__ import annotations

from enum import StrEnum

from chartfile.service.actor import Actor, Role
from indexer.audit.context import set_identity
from intake.errors import ExitCode, RefusedError


class Action(StrEnum):
    """Every command and query of the service layer."""

    # intake and the data home
    INGEST = "intake.ingest"
    WATCH = "intake.watch"
    STATUS = "status"
    INTAKE_LIST = "intake.list"
    INTAKE_EXPORT = "intake.export"
    INTAKE_RETRY = "intake.retry"
    INTAKE_CHECK = "intake.check"
    # patients and documents
    PATIENTS_IMPORT = "patients.import"
    CHART_VIEW = "patients.chart"
    DOCUMENTS_EXPORT = "documents.export"
    DOCUMENT_REFILE = "documents.refile"
    DOCUMENT_CORRECT = "documents.correct"
    PATIENT_ALIASES = "patients.aliases"
    PATIENT_ALIAS_REMOVE = "patients.alias.remove"
    # review queue
    REVIEW_LIST = "review.list"
    REVIEW_SHOW = "review.show"
    REVIEW_FILE = "review.file"
    REVIEW_SPLIT = "review.split"
    REVIEW_REJECT = "review.reject"
    # search and its index
    SEARCH = "search"
    SEARCH_REJECTED = "search.rejected"  # rejected documents (kept in the archive): administrators only
    INDEX_REBUILD = "index.rebuild"
    INDEX_CHECK = "index.check"
    INDEX_REPAIR = "index.repair"
    INDEX_OPTIMIZE = "index.optimize"
    # release of information
    ROI_AUTHORIZATION_VIEW = "roi.authorization.view"
    ROI_AUTHORIZATION_EDIT = "roi.authorization.edit"
    ROI_REQUEST_VIEW = "roi.request.view"
    ROI_REQUEST_EDIT = "roi.request.edit"
    ROI_RELEASE = "roi.release"
    ROI_RELEASE_VIEW = "roi.release.view"
    ROI_RELEASE_CORRECT = "roi.release.correct"
    ROI_ACCOUNTING = "roi.accounting"
    # audit trail
    AUDIT_STATUS = "audit.status"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_ANCHOR = "audit.anchor"
    AUDIT_EXPORT = "audit.export"
    AUDIT_ACCESS_REPORT = "audit.access_report"
    AUDIT_SWITCH = "audit.switch"
    # storage (chartfile.service.storage): administrators only
    ARCHIVE_VERIFY = "archive.verify"
    BACKUP = "backup"
    DOCTOR = "doctor"
    # people (chartfile.service.users): administrators only
    USERS_MANAGE = "users.manage"
    # the web workstation (chartfile.service.workstation)
    DOCUMENT_VIEW = "documents.view"
    DOCUMENT_DOWNLOAD = "documents.download"
    PATIENT_LOOKUP = "patients.lookup"


_CLERK = frozenset({
    Action.INGEST, Action.STATUS, Action.INTAKE_LIST, Action.INTAKE_EXPORT, Action.INTAKE_RETRY,
    Action.INTAKE_CHECK, Action.CHART_VIEW, Action.DOCUMENTS_EXPORT, Action.DOCUMENT_REFILE,
    Action.DOCUMENT_CORRECT, Action.PATIENT_ALIASES, Action.PATIENT_ALIAS_REMOVE,
    Action.REVIEW_LIST, Action.REVIEW_SHOW, Action.REVIEW_FILE, Action.REVIEW_SPLIT, Action.REVIEW_REJECT,
    Action.SEARCH, Action.DOCUMENT_VIEW, Action.DOCUMENT_DOWNLOAD, Action.PATIENT_LOOKUP,
})
_ROI = frozenset({
    Action.SEARCH, Action.CHART_VIEW, Action.REVIEW_SHOW, Action.STATUS,
    Action.ROI_AUTHORIZATION_VIEW, Action.ROI_AUTHORIZATION_EDIT, Action.ROI_REQUEST_VIEW,
    Action.ROI_REQUEST_EDIT, Action.ROI_RELEASE, Action.ROI_RELEASE_VIEW, Action.ROI_RELEASE_CORRECT,
    Action.ROI_ACCOUNTING, Action.DOCUMENT_VIEW, Action.DOCUMENT_DOWNLOAD, Action.PATIENT_LOOKUP,
})
_PRIVACY = frozenset({
    Action.STATUS, Action.PATIENT_ALIASES, Action.PATIENT_ALIAS_REMOVE,
    Action.AUDIT_STATUS, Action.AUDIT_VERIFY, Action.AUDIT_ANCHOR, Action.AUDIT_EXPORT,
    Action.AUDIT_ACCESS_REPORT, Action.ROI_ACCOUNTING, Action.ROI_RELEASE_VIEW,
})
_PROVIDER = frozenset({Action.SEARCH, Action.CHART_VIEW, Action.REVIEW_SHOW, Action.STATUS, Action.DOCUMENT_VIEW,
                       Action.DOCUMENT_DOWNLOAD, Action.PATIENT_LOOKUP})

#: Action -> roles allowed to perform it (admin: everything)
RULES: dict[Action, frozenset[Role]] = {
    action: frozenset({Role.ADMIN}
                      | ({Role.CLERK} if action in _CLERK else set())
                      | ({Role.ROI} if action in _ROI else set())
                      | ({Role.PRIVACY} if action in _PRIVACY else set())
                      | ({Role.PROVIDER} if action in _PROVIDER else set()))
    for action in Action
}


class PermissionDenied(RefusedError):
    """The actor's role does not allow the action."""

    exit_code = ExitCode.REFUSED
    http_status = 403
    hint = "Ask an administrator for a role that allows it."


def allowed(actor: Actor, action: Action) -> bool:
    """True when the actor's role may perform ``action``."""
    return actor.role in RULES.get(action, frozenset())


def require(actor: Actor, action: Action) -> None:
    """Raise :class:`PermissionDenied` unless the actor may perform ``action``.

    Every service command starts here, so this is also where the audit trail
    learns who is acting for the events the command writes (role, channel,
    and on the CLI whom the user named with ``--user``).
    """
    if not allowed(actor, action):
        raise PermissionDenied(f"{actor.username} ({actor.role}) may not do {action}")
    set_identity(acting_for=actor.acting_for, channel=actor.channel.value, role=actor.role.value)

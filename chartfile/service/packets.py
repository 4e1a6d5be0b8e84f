"""Release packets for download: the PDF a release produced, handed out again only with an audit event."""

from __future__ import annotations

import hashlib
from pathlib import Path

from chartfile.service import disclosure
from chartfile.service.actor import Actor
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from chartfile.service.viewing import Download
from indexer.roi.models import Release
from intake.errors import IntegrityError, NotFoundError


def packet(office: Office, actor: Actor, release_id: int) -> Download:
    """The packet of release ``release_id`` (its SHA-256 checked against the one recorded), audited first."""
    require(actor, Action.ROI_RELEASE_VIEW)
    with office.db.read() as s:
        rel = s.get(Release, release_id)
        if rel is None:
            raise NotFoundError(f"no release {release_id}")
        path, sha, mrn, ref = Path(rel.packet_path or ""), rel.packet_sha256, rel.patient.mrn, rel.reference
        docs = [d.document_id for d in rel.documents]
    if not rel.packet_path or not path.is_file():
        raise NotFoundError(f"the packet of release {release_id} is no longer on disk",
                            hint="Correct the release to produce a new packet if it must be sent again.")
    data = path.read_bytes()
    if sha and hashlib.sha256(data).hexdigest() != sha:
        raise IntegrityError(f"the packet of release {release_id} differs from the one recorded",
                             hint="Do not send it; tell the privacy officer.")
    disclosure.recorded(office, actor, disclosure.Disclosure("roi.packet.download", "E", docs, [mrn],
                                                             detail=f"release {release_id} ({ref})"))
    return Download(f"release-{ref}.pdf", "application/pdf", data)

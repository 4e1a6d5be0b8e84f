"""Release of information (ROI): authorizations, requests, releases, packets and accounting.

Submodules:

* :mod:`indexer.roi.models` – the ROI tables;
* :mod:`indexer.roi.validation` – pure 45 CFR 164.508 checks against an injectable date;
* :mod:`indexer.roi.authorizations` – adding, confirming, revoking authorizations;
* :mod:`indexer.roi.drafts` – draft authorizations from scanned forms (the filing hook);
* :mod:`indexer.roi.formparse` – pure parsing of a form's text into draft fields;
* :mod:`indexer.roi.requests` – request log and 164.524 due dates;
* :mod:`indexer.roi.scope` – pure checks that an authorization covers a release;
* :mod:`indexer.roi.releases` – recording (immutable) releases and corrections;
* :mod:`indexer.roi.packet` – the PDF that goes out;
* :mod:`indexer.roi.accounting` – 45 CFR 164.528 accounting of disclosures;
* :mod:`indexer.roi.lookup`, :mod:`indexer.roi.views` – lookups with not-found errors, display dicts.

Nothing is imported here, so importing the package has no side effects.
"""

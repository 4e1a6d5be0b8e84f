"""The in-memory roster the matcher searches, with blocking indexes.

This module owns :class:`Roster`: it normalises every :class:`RosterPatient`
once, keeps the clerk-confirmed :class:`Alias` names, and builds the blocking
indexes (MRN, DOB, phone, phonetic family × given-name-group keys) so a
document is compared with a few dozen patients instead of the whole roster.
It also keeps the name-frequency tables behind term-frequency weights and the
twin groups (same family name, DOB and address) the policy must respect.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from indexer.matching.normalize import (
    AddressKey,
    NameParts,
    address_key,
    canonical_mrn,
    canonical_phone,
    date_near_variants,
    fold_mrn,
    given_group,
    mrn_near_variants,
    name_parts,
    parse_date,
    phonetic_codes,
)
from indexer.matching.types import Alias, RosterPatient

# Term-frequency weights: p = (count + K * PRIOR) / (N + K), weight = -log2(p), clipped.
_TF_K = 200.0
_TF_PRIOR = 1.0 / 256.0
FAMILY_RANGE = (2.5, 9.0)
GIVEN_RANGE = (2.5, 8.0)


@dataclass(frozen=True)
class Prepared:
    """A roster patient with every field normalised once."""

    patient: RosterPatient
    name: NameParts
    aliases: tuple[NameParts, ...]
    dob: dt.date | None
    mrn: str
    phone: str | None
    address: AddressKey | None
    sex: str | None
    identities: tuple[tuple[NameParts, str, float], ...]  # (name, label, weight factor); label "" = roster name


def family_keys(name: NameParts) -> set[str]:
    """Phonetic codes of each family token and of the joined family name."""
    toks = set(name.core_family())
    if len(name.family) > 1:
        toks.add(name.family_key)
    return {c for t in toks for c in phonetic_codes(t)}


def given_keys(name: NameParts) -> set[str]:
    """The given name (first token and whole) and its nickname group, folded."""
    if not name.given_first:
        return set()
    return set(given_group(name.given_first)) | {name.given_key}


def name_block_keys(name: NameParts, include_middle: bool = False) -> set[str]:
    """Blocking keys ``PHONETIC-FAMILY|given`` for one name (plus middle-as-family when asked)."""
    fams = family_keys(name)
    if include_middle and name.middle and len(name.middle[0]) > 1:
        fams.update(phonetic_codes(name.middle[0]))
    givs = given_keys(name)
    return {f"{f}|{g}" for f in fams for g in givs}


def _tf_weight(count: int, total: int, lo: float, hi: float) -> float:
    p = (count + _TF_K * _TF_PRIOR) / (total + _TF_K)
    return min(max(-math.log2(p), lo), hi)


class Roster:
    """Patients plus blocking indexes and name-frequency tables."""

    def __init__(self, patients: Iterable[RosterPatient], aliases: Iterable[Alias] = ()) -> None:
        alias_map: dict[int, list[Alias]] = defaultdict(list)
        for a in aliases:
            if a not in alias_map[a.patient_id]:
                alias_map[a.patient_id].append(a)
        self._aliases = alias_map
        self._by_id: dict[int, Prepared] = {}
        self._by_mrn: dict[str, list[int]] = defaultdict(list)
        self._by_dob: dict[dt.date, list[int]] = defaultdict(list)
        self._by_phone: dict[str, list[int]] = defaultdict(list)
        self._by_name: dict[str, list[int]] = defaultdict(list)
        self._family_counts: dict[str, int] = defaultdict(int)
        self._given_counts: dict[str, int] = defaultdict(int)
        twins: dict[tuple[str, dt.date], list[int]] = defaultdict(list)
        for p in patients:
            prep = _prepare(p, alias_map.get(p.id, ()))
            if p.id in self._by_id:
                raise ValueError(f"duplicate patient id {p.id}")
            self._by_id[p.id] = prep
            if prep.mrn:
                self._by_mrn[fold_mrn(prep.mrn)].append(p.id)
            if prep.dob:
                self._by_dob[prep.dob].append(p.id)
                if prep.name.family_key:
                    twins[(prep.name.family_key, prep.dob)].append(p.id)
            if prep.phone:
                self._by_phone[prep.phone].append(p.id)
            keys = name_block_keys(prep.name, include_middle=True)
            for alias in prep.aliases:
                keys |= name_block_keys(alias)
            for key in keys:
                self._by_name[key].append(p.id)
            self._family_counts[prep.name.family_key] += 1
            self._given_counts[prep.name.given_first] += 1
        self._twins = _twin_groups(twins, self._by_id)
        self._family_w: dict[str, float] = {}  # memo of term-frequency weights (name counts never change)
        self._given_w: dict[str, float] = {}

    def add_aliases(self, aliases: Iterable[Alias]) -> int:
        """Learn clerk-confirmed names in place, without rebuilding; return how many were new.

        Not thread-safe: the single writer process owns its roster.  Aliases of
        unknown patients are ignored.  Term-frequency tables are unaffected.
        """
        added = 0
        for a in aliases:
            known = self._aliases[a.patient_id]
            if a.patient_id not in self._by_id or a in known:
                continue
            known.append(a)
            added += 1
            prep = _prepare(self._by_id[a.patient_id].patient, known)
            self._by_id[a.patient_id] = prep
            for key in name_block_keys(prep.aliases[-1]):
                ids = self._by_name[key]
                if a.patient_id not in ids:
                    ids.append(a.patient_id)
        return added

    # ----- look-ups ------------------------------------------------------
    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, patient_id: object) -> bool:
        return patient_id in self._by_id

    def get(self, patient_id: int) -> Prepared:
        return self._by_id[patient_id]

    def patients(self) -> list[RosterPatient]:
        return [p.patient for p in self._by_id.values()]

    def owned_mrns(self, mrns: Iterable[str]) -> frozenset[str]:
        """Those of ``mrns`` that (after OCR letter repair) exactly belong to a roster patient."""
        return frozenset(m for m in mrns if fold_mrn(m) in self._by_mrn)

    def twins_of(self, patient_id: int) -> tuple[int, ...]:
        """Other patients with the same family name, DOB and (compatible) address."""
        return self._twins.get(patient_id, ())

    def family_weight(self, name: NameParts) -> float:
        """Agreement weight for this family name (rarer → larger)."""
        key = name.family_key
        w = self._family_w.get(key)
        if w is None:
            w = self._family_w[key] = _tf_weight(self._family_counts.get(key, 0), len(self._by_id), *FAMILY_RANGE)
        return w

    def given_weight(self, name: NameParts) -> float:
        """Agreement weight for this given name (rarer → larger)."""
        key = name.given_first
        w = self._given_w.get(key)
        if w is None:
            w = self._given_w[key] = _tf_weight(self._given_counts.get(key, 0), len(self._by_id), *GIVEN_RANGE)
        return w

    # ----- blocking ------------------------------------------------------
    def block(
        self,
        names: Iterable[NameParts],
        dobs: Iterable[dt.date],
        mrns: Iterable[str],
        phones: Iterable[str],
    ) -> set[int]:
        """Patient ids worth scoring: share an MRN, DOB, phone or name key (with OCR variants)."""
        out: set[int] = set()
        for m in mrns:
            out.update(self._by_mrn.get(fold_mrn(m), ()))
            for v in mrn_near_variants(m):
                out.update(self._by_mrn.get(v, ()))
        for d in dobs:
            out.update(self._by_dob.get(d, ()))
            for near in date_near_variants(d):
                out.update(self._by_dob.get(near, ()))
        for ph in phones:
            out.update(self._by_phone.get(ph, ()))
        for n in names:
            swapped = NameParts(n.given, n.family, (), None, n.given_raw, n.family_raw)
            for key in name_block_keys(n) | name_block_keys(swapped):
                out.update(self._by_name.get(key, ()))
        return out


def _prepare(p: RosterPatient, aliases: Iterable[Alias]) -> Prepared:
    name = name_parts(p.family_name, p.given_name, p.middle_name)
    alias_names = tuple(
        name_parts(a.family_name or p.family_name, a.given_name or p.given_name, p.middle_name)
        for a in aliases
    )
    identities = [(name, "", 1.0)] + [(a, "alias (clerk-confirmed)", 1.0) for a in alias_names]
    if name.middle and len(name.middle[0]) > 1 and name.middle != name.family:
        as_family = NameParts(name.middle, name.given, (), name.suffix, name.middle[0], name.given_raw)
        identities.append((as_family, "roster middle name as family name", 0.7))
    return Prepared(
        patient=p,
        name=name,
        aliases=alias_names,
        identities=tuple(identities),
        dob=parse_date(p.dob),
        mrn=canonical_mrn(p.mrn or ""),
        phone=canonical_phone(p.phone),
        address=address_key(p.address, p.postal_code),
        sex=(p.sex or "").upper()[:1] or None,
    )


def _same_home(a: AddressKey | None, b: AddressKey | None) -> bool:
    """Addresses agree, or at least one is unknown (twins cannot be ruled out)."""
    if a is None or b is None:
        return True
    return a.number == b.number and (not a.words or not b.words or bool(a.words & b.words))


def _twin_groups(
    groups: dict[tuple[str, dt.date], list[int]], by_id: dict[int, Prepared]
) -> dict[int, tuple[int, ...]]:
    out: dict[int, tuple[int, ...]] = {}
    for ids in groups.values():
        if len(ids) < 2:
            continue
        for i in ids:
            mates = tuple(j for j in ids if j != i and _same_home(by_id[i].address, by_id[j].address))
            if mates:
                out[i] = mates
    return out

"""Tracking-number formats: loading the data files and matching one number (S4).

Two data sets share one schema (the ``jkeen/tracking_number_data`` courier
schema): the copied corpus in ``data/tracking_number_data/`` and Marketbridge's
own European formats in ``data/formats_europe.json``. A format matches a number
when its regular expression matches the whole number (spaces removed, upper
case), its check digit validates (if it has one) and every lookup it lists
under ``validation.additional.exists`` finds an entry (S10: the country code
must belong to a UPU member).

How much a match proves is the format's *strength*, from its ``specificity``
(``prefix``: a fixed marker such as ``1Z`` or ``JJD``; ``shape``: a fixed mix
of letters and digits; ``digits``: only a length of digits) and whether it
carries a check digit. :data:`STRENGTH` turns that into the base confidence of
a match; formats marked ``hint_only`` (eight free characters, say) are only
offered when the shop's carrier name or the country points at their carrier.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Iterator, Mapping

from marketbridge.carriers import checksums
from marketbridge.carriers.datafiles import list_json, read_json

#: Base confidence of a match by (specificity, has a check digit).
STRENGTH: dict[tuple[str, bool], float] = {
    ("prefix", True): 0.95,
    ("prefix", False): 0.8,
    ("shape", True): 0.7,
    ("digits", True): 0.6,
    ("shape", False): 0.45,
    ("digits", False): 0.3,
}
#: Base confidence of a ``hint_only`` format (raised by the hint that admits it).
HINT_ONLY_STRENGTH = 0.2

_NAMED_GROUP = re.compile(r"\(\?<(?=[A-Za-z_])")
_WHITESPACE = re.compile(r"\s+")


def normalize_number(tracking_number: str) -> str:
    """The form every format is matched against: whitespace removed, upper case."""
    return _WHITESPACE.sub("", tracking_number).upper()


@dataclass(frozen=True)
class Lookup:
    """A table keyed by one regex group (``additional`` in the data), e.g. the S10 member countries."""

    name: str
    group: str
    entries: tuple[Mapping[str, Any], ...]

    def find(self, value: str) -> Mapping[str, Any] | None:
        """The first entry whose ``matches`` equals ``value`` or whose ``matches_regex`` matches it."""
        for entry in self.entries:
            if "matches" in entry and entry["matches"] == value:
                return entry
            if "matches_regex" in entry and re.match(str(entry["matches_regex"]), value):
                return entry
        return None


@dataclass(frozen=True)
class TrackingFormat:
    """One tracking-number format of one carrier (or of the S10 postal family)."""

    id: str
    name: str
    courier_code: str  #: the data file's courier (``s10`` for the UPU format)
    carrier_id: str | None  #: ``None`` for S10: the operator follows from the country code
    specificity: str
    hint_only: bool
    regex: re.Pattern[str]
    checksum: Mapping[str, Any] | None
    prepend_if: Mapping[str, str] | None
    required_lookups: tuple[Lookup, ...]  #: tables that must have an entry for the matched value
    source: str
    valid_samples: tuple[str, ...]
    invalid_samples: tuple[str, ...]
    sample_sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def has_check_digit(self) -> bool:
        return self.checksum is not None

    @property
    def strength(self) -> float:
        """Base confidence of a match of this format (see :data:`STRENGTH`)."""
        if self.hint_only:
            return HINT_ONLY_STRENGTH
        return STRENGTH[(self.specificity, self.has_check_digit)]

    def match(self, number: str) -> FormatHit | None:
        """Match an already normalized number; ``None`` unless pattern, check digit and lookups all agree."""
        found = self.regex.fullmatch(number)
        if found is None:
            return None
        groups = {k: v for k, v in found.groupdict().items() if v is not None}
        if self.checksum is not None and not checksums.verify(
                self.checksum, self._serial(groups.get("SerialNumber", "")), groups.get("CheckDigit", "")):
            return None
        for lookup in self.required_lookups:
            if lookup.group not in groups or lookup.find(groups[lookup.group]) is None:
                return None
        return FormatHit(self, groups)

    def _serial(self, serial: str) -> str:
        if self.prepend_if and re.match(self.prepend_if["matches_regex"], serial):
            return self.prepend_if["content"] + serial
        return serial


@dataclass(frozen=True)
class FormatHit:
    """A number that matched a format, with the values of the format's named groups."""

    format: TrackingFormat
    groups: Mapping[str, str]


def _compile(regex: str | list[str]) -> re.Pattern[str]:
    """Join the data's regex parts and turn Ruby/PCRE named groups ``(?<Name>`` into Python's ``(?P<Name>``."""
    text = "".join(regex) if isinstance(regex, list) else regex
    return re.compile(_NAMED_GROUP.sub("(?P<", text))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _build(courier: Mapping[str, Any], spec: Mapping[str, Any], meta: Mapping[str, Any]) -> TrackingFormat:
    validation = spec.get("validation") or {}
    format_id = str(spec.get("id") or _slug(str(spec["name"])))
    if "checksum" in validation and validation["checksum"]["name"] not in checksums.ALGORITHMS:
        raise ValueError(f"format {format_id}: unknown check-digit algorithm {validation['checksum']['name']!r}")
    tests = spec.get("test_numbers") or {}
    required = set((validation.get("additional") or {}).get("exists", ()))
    if not required <= {a["name"] for a in spec.get("additional", ())}:
        raise ValueError(f"format {format_id}: validation needs lookups {sorted(required)} it does not define")
    return TrackingFormat(
        id=format_id,
        name=str(spec["name"]),
        courier_code=str(courier["courier_code"]),
        carrier_id=meta.get("carrier"),
        specificity=str(meta["specificity"]),
        hint_only=bool(meta.get("hint_only", False)),
        regex=_compile(spec["regex"]),
        checksum=validation.get("checksum"),
        prepend_if=(validation.get("serial_number_format") or {}).get("prepend_if"),
        required_lookups=tuple(Lookup(str(a["name"]), str(a["regex_group_name"]), tuple(a.get("lookup", ())))
                               for a in spec.get("additional", ()) if a["name"] in required),
        source=str(meta.get("source") or spec.get("source") or courier.get("source", "")),
        valid_samples=tuple(tests.get("valid", ())),
        invalid_samples=tuple(tests.get("invalid", ())),
        sample_sources=dict(spec.get("sample_sources") or {}),
    )


def _iter_formats(corpus_meta: Mapping[str, Mapping[str, Any]]) -> Iterator[TrackingFormat]:
    for file_name in list_json("tracking_number_data"):
        courier = read_json("tracking_number_data", file_name)
        for spec in courier["tracking_numbers"]:
            format_id = str(spec.get("id") or _slug(str(spec["name"])))
            if format_id not in corpus_meta:
                raise ValueError(f"carriers.json has no entry for corpus format {format_id!r} ({file_name})")
            yield _build(courier, spec, corpus_meta[format_id])
    for courier in read_json("formats_europe.json")["couriers"]:
        for spec in courier["tracking_numbers"]:
            yield _build(courier, spec, spec)


@cache
def all_formats() -> tuple[TrackingFormat, ...]:
    """Every known format, corpus first then the European additions, each id unique.

    Raises ``ValueError`` when the data is inconsistent (duplicate id, unknown
    algorithm, a corpus format without carrier metadata): a packaging error,
    caught by the test suite, never by a merchant.
    """
    corpus_meta = read_json("carriers.json")["formats"]
    formats = tuple(_iter_formats(corpus_meta))
    seen: set[str] = set()
    for fmt in formats:
        if fmt.id in seen:
            raise ValueError(f"duplicate tracking-number format id {fmt.id!r}")
        seen.add(fmt.id)
    return formats

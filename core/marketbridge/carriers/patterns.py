"""Checking a merchant's tracking-number pattern before a carrier rule is saved (S4).

A carrier rule's pattern is matched by the ``detect_carrier`` policy with
``re.fullmatch`` against the tracking number with spaces removed, so that is
how samples are tested here. :func:`check_pattern` reports, in plain English:

* problems (the rule must not be saved): empty, too long or invalid pattern,
  a pattern that can take practically forever on some inputs, an implausible
  sample;
* warnings: no samples, a pattern that also matches a shipment without a
  tracking number, or the numbers of nearly every carrier;
* which samples match and which do not, and which built-in carriers' numbers
  the pattern would also catch.

Runaway patterns are recognised from the parsed pattern (Python's own
``re._parser``, so the analysis agrees exactly with the engine that runs it):
an open-ended repetition inside another open-ended repetition (``(\\d+)+``),
or an open-ended repetition of alternatives that can start with the same
character (``(a|a1)*``). Samples are only run once the pattern passed that
check, so checking a pattern can itself never hang the request.
"""
from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]  # the parser's node types (no stubs)
import re._parser as sre_parse  # type: ignore[import-not-found]  # the parser re.compile itself uses
import string
from dataclasses import dataclass
from typing import Any, Iterable

from marketbridge.carriers.formats import all_formats
from marketbridge.carriers.registry import get_carrier

MAX_PATTERN_LENGTH = 500
MAX_SAMPLE_LENGTH = 64  #: the longest real tracking numbers (FedEx, USPS) have 34 characters
#: share of built-in carriers a pattern may match before it counts as a catch-all
CATCH_ALL_SHARE = 0.8

_ALPHABET = frozenset(string.ascii_letters + string.digits + string.punctuation + " ")
_UNBOUNDED = sre.MAXREPEAT
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT)


@dataclass(frozen=True)
class PatternReport:
    """The outcome of :func:`check_pattern`; ``problems`` empty means the rule may be saved."""

    problems: tuple[str, ...]
    warnings: tuple[str, ...]
    matching: tuple[str, ...]
    not_matching: tuple[str, ...]
    case_only: tuple[str, ...]  #: samples of ``not_matching`` that would match ignoring upper/lower case
    also_matches: tuple[str, ...]  #: built-in carriers with a sample number the pattern matches

    @property
    def ok(self) -> bool:
        return not self.problems

    def messages(self) -> list[str]:
        """Every finding as one plain-English sentence: problems, warnings, samples, overlaps."""
        lines = [*self.problems, *self.warnings]
        lines += [f"Sample {s!r} matches the pattern." for s in self.matching]
        for sample in self.not_matching:
            lines.append(f"Sample {sample!r} does not match the pattern; it would if upper and lower case were "
                         "ignored, but tracking numbers are compared exactly as the shop sends them."
                         if sample in self.case_only else f"Sample {sample!r} does not match the pattern.")
        if self.also_matches:
            lines.append("Among the built-in example numbers, the pattern matches those of: "
                         + ", ".join(self.also_matches) + ".")
        return lines


_CATEGORIES = {sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_NOT_DIGIT: r"\D", sre.CATEGORY_SPACE: r"\s",
               sre.CATEGORY_NOT_SPACE: r"\S", sre.CATEGORY_WORD: r"\w", sre.CATEGORY_NOT_WORD: r"\W"}


def _char_set(items: list[tuple[Any, Any]]) -> frozenset[str]:
    """The probe characters an ``IN`` node (``[…]``) accepts."""
    accepted: set[str] = set()
    negate = False
    for op, av in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            accepted.add(chr(av))
        elif op is sre.RANGE:
            accepted.update(c for c in _ALPHABET if av[0] <= ord(c) <= av[1])
        elif op is sre.CATEGORY:
            accepted.update(c for c in _ALPHABET if re.fullmatch(_CATEGORIES.get(av, "."), c))
        else:
            return _ALPHABET
    return _ALPHABET - accepted if negate else frozenset(accepted)


def _first_chars(nodes: Iterable[tuple[Any, Any]]) -> frozenset[str]:
    """Characters a sequence of nodes can start with (all of them when unsure: errs towards caution)."""
    for op, av in nodes:
        if op is sre.AT:
            continue
        if op is sre.LITERAL:
            return frozenset({chr(av)})
        if op is sre.NOT_LITERAL:
            return _ALPHABET - {chr(av)}
        if op is sre.IN:
            return _char_set(av)
        if op is sre.SUBPATTERN:
            return _first_chars(av[3])
        if op is sre.BRANCH:
            return frozenset().union(*(_first_chars(branch) for branch in av[1]))
        if op in _REPEATS and av[0] > 0:
            return _first_chars(av[2])
        return _ALPHABET
    return _ALPHABET


def _children(op: Any, av: Any) -> list[list[tuple[Any, Any]]]:
    if op is sre.SUBPATTERN:
        return [av[3]]
    if op is sre.BRANCH:
        return list(av[1])
    if op in (*_REPEATS, sre.POSSESSIVE_REPEAT):
        return [av[2]]
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return [av[1]]
    if op is sre.GROUPREF_EXISTS:
        return [branch for branch in av[1:] if branch is not None]
    return []


def _runaway(nodes: Iterable[tuple[Any, Any]], inside_open_repeat: bool = False) -> str | None:
    """Why this pattern can backtrack catastrophically, or ``None``."""
    for op, av in nodes:
        if op is sre.ATOMIC_GROUP or op is sre.POSSESSIVE_REPEAT:
            continue  # never backtracks into itself
        open_repeat = op in _REPEATS and av[1] is _UNBOUNDED
        if open_repeat and inside_open_repeat:
            return ("a repeated part of the pattern repeats something open-ended inside it, like (\\d+)+; "
                    "on a number that almost matches this can take practically forever. "
                    "Use fixed counts such as \\d{12} instead")
        if inside_open_repeat and op is sre.BRANCH:
            starts = [_first_chars(branch) for branch in av[1]]
            if any(starts[i] & starts[j] for i in range(len(starts)) for j in range(i + 1, len(starts))):
                return ("a repeated group offers alternatives that can start with the same character, "
                        "like (a|a1)*; on a number that almost matches this can take practically forever. "
                        "Make the alternatives start differently or drop the repetition")
        for child in _children(op, av):
            reason = _runaway(child, inside_open_repeat or open_repeat)
            if reason:
                return reason
    return None


def _compile(regex: str) -> tuple[re.Pattern[str] | None, list[str]]:
    if not regex.strip():
        return None, ["The pattern is empty. Enter a regular expression, for example 1Z[0-9A-Z]{16} for UPS."]
    if len(regex) > MAX_PATTERN_LENGTH:
        return None, [f"The pattern is {len(regex)} characters long; keep it under {MAX_PATTERN_LENGTH}."]
    try:
        compiled = re.compile(regex)
    except re.error as error:
        where = f" at position {error.pos + 1}" if error.pos is not None else ""
        return None, [f"The pattern is not a valid regular expression: {error.msg}{where}."]
    reason = _runaway(sre_parse.parse(regex).data)
    if reason:
        return None, [f"The pattern is unsafe: {reason}."]
    return compiled, []


def _known_carriers(compiled: re.Pattern[str]) -> tuple[list[str], int]:
    """Names of built-in carriers with a sample the pattern matches, and how many carriers were tried."""
    tried: dict[str, bool] = {}
    for fmt in all_formats():
        name = get_carrier(fmt.carrier_id).name if fmt.carrier_id else "UPU postal operators (S10)"
        hit = any(compiled.fullmatch(s.replace(" ", "")) for s in fmt.valid_samples)
        tried[name] = tried.get(name, False) or hit
    return sorted(n for n, hit in tried.items() if hit), len(tried)


def check_pattern(regex: str, samples: Iterable[str]) -> PatternReport:
    """Check a merchant's tracking-number pattern against their sample numbers (S4).

    Receives the pattern as typed and the sample tracking numbers (spaces are
    removed before matching, as the ``detect_carrier`` policy does). Returns a
    :class:`PatternReport`; never raises.
    """
    compiled, problems = _compile(regex)
    warnings: list[str] = []
    sample_list = [s for s in (str(s).strip() for s in samples) if s]
    if not sample_list:
        warnings.append("Add at least one sample tracking number so the rule can be tested before it is saved.")
    if compiled is None:
        return PatternReport(tuple(problems), tuple(warnings), (), (), (), ())
    matching: list[str] = []
    not_matching: list[str] = []
    case_only: list[str] = []
    for sample in sample_list:
        number = sample.replace(" ", "")
        if len(number) > MAX_SAMPLE_LENGTH:
            problems.append(f"Sample {sample[:20]!r}… is {len(number)} characters long; tracking numbers have "
                            f"at most {MAX_SAMPLE_LENGTH}. Paste only the tracking number.")
        elif compiled.fullmatch(number):
            matching.append(sample)
        else:
            not_matching.append(sample)
            if re.fullmatch(regex, number, re.IGNORECASE):
                case_only.append(sample)
    if compiled.fullmatch(""):
        warnings.append("The pattern also matches an empty tracking number, so the rule would apply to "
                        "shipments sent without any tracking number.")
    also, tried = _known_carriers(compiled)
    if len(also) >= CATCH_ALL_SHARE * tried:
        warnings.append("The pattern matches the tracking numbers of nearly every carrier, so the rule would "
                        "catch almost every shipment. Make it more specific, or set the default carrier instead.")
        also = []
    return PatternReport(tuple(problems), tuple(warnings), tuple(matching), tuple(not_matching),
                         tuple(case_only), tuple(also))


def validate_pattern(regex: str, samples: Iterable[str]) -> list[str]:
    """Plain-English findings about a merchant's pattern, problems first (S4).

    The first messages are problems that must block saving (check
    :func:`check_pattern` ``.ok`` to tell them apart), then warnings, then one
    line per sample saying whether it matches, then the built-in carriers whose
    numbers the pattern also matches. Never raises.
    """
    return check_pattern(regex, samples).messages()

"""Error categories: a failed run's message with its variable parts replaced, and the exception type kept,
so that "order 9056 missing" and "order 17 missing" fall into one category."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_EXCEPTION_LINE = re.compile(
    r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Failure|Fault|Timeout)):?(?:\s|$)"
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # ISO-8601 and common log timestamps, before numbers eat their parts.
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"), "<ts>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<date>"),
    (re.compile(r"\b\d{2}:\d{2}:\d{2}(?:\.\d+)?\b"), "<time>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<uuid>"),
    (re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`"), "<str>"),
    (re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.-]*://\S+)"), "<url>"),
    (re.compile(r"(?:(?<=\s)|^)(?:[A-Za-z]:\\|~?/)[^\s:,;)]*"), "<path>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b"), "<hex>"),
    # Ids that mix letters and digits (job_123, run42) and plain numbers.
    (re.compile(r"\b[A-Za-z_]+[-_]?\d+[\w-]*\b"), "<id>"),
    (re.compile(r"[-+]?\b\d+(?:\.\d+)?(?:e[-+]?\d+)?\b"), "<num>"),
]
_SPACES = re.compile(r"\s+")
MAX_LENGTH = 500


@dataclass(frozen=True)
class ErrorFingerprint:
    fingerprint: str  # short, stable id of the category
    exception_type: str | None
    pattern: str  # the normalised message


def exception_type(message: str | None, stack_trace: str | None = None) -> str | None:
    """The exception class: the last `Name: …` line of a Python stack trace, else the message's prefix."""
    for text in (stack_trace, message):
        if not text:
            continue
        for line in reversed(text.strip().splitlines()):
            match = _EXCEPTION_LINE.match(line)
            if match:
                return match.group(1)
    return None


def normalise(message: str) -> str:
    text = message.strip()
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return _SPACES.sub(" ", text)[:MAX_LENGTH]


def fingerprint(message: str | None, stack_trace: str | None = None) -> ErrorFingerprint:
    kind = exception_type(message, stack_trace)
    text = (message or "").strip()
    if kind and text.startswith(kind):
        text = text[len(kind) :].lstrip(": ")
    pattern = normalise(text)
    digest = hashlib.sha256(f"{kind or ''}|{pattern}".encode()).hexdigest()[:16]
    return ErrorFingerprint(fingerprint=digest, exception_type=kind, pattern=pattern)

"""Untrusted names (from events, people and admins) as text of each format alerts write: plain-text lines,
Markdown, e-mail subjects. A name may hold anything an emitter sent: line breaks, right-to-left overrides,
markup of every kind; each helper keeps it as text of its format, and visible."""

from __future__ import annotations

import re

# Line breaks, other control characters and the bidirectional controls (which reorder what follows them on
# screen, e.g. "report\u202efdp.exe"): shown as escapes, so a name is one line and reads as it is stored.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\u2028\u2029{_BIDI}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """`text` on one line, its line breaks, control and direction characters written as escapes (`\\n`,
    `\\u202e`)."""
    return _INVISIBLE.sub(lambda m: _NAMED.get(m.group(), f"\\u{ord(m.group()):04x}"), text)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- Markdown (CommonMark, GitHub, Python-Markdown) ---------------------------------------------------------------

# What starts markup inside a line: emphasis, code, links and images, strikethrough, table cells, escapes.
# `<`, `>` and `&` become entities instead (Python-Markdown has no backslash escape for `<`).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]~|])")


def markdown_text(text: str) -> str:
    """`text` as inline Markdown that renders as exactly that text: no heading, link, image, emphasis or
    HTML; on one line. For use after other text on a line (never at its start)."""
    escaped = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)


def markdown_code(text: str) -> str:
    """`text` as an inline code span (ids), fenced by more backticks than it holds, on one line."""
    line = one_line(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", line)), default=0) + 1)
    pad = " " if line.startswith("`") or line.endswith("`") or not line.strip() else ""
    return f"{fence}{pad}{line}{pad}{fence}"


# A line that starts with one of these may begin a block: a heading, list, quote, fence, setext underline, table.
_BLOCK_START = re.compile(r"^([#=+\-]|\d+[.)])")


def markdown_lines(text: str, indent: str) -> str:
    """Multi-line text (a note) inside a list item: each line inline-escaped and kept from starting a block,
    joined by hard line breaks and indented so that it stays in the item (no blank line can end it, no
    indented line become code)."""
    lines = [markdown_text(line.strip()) for line in text.splitlines() if line.strip()]
    lines = [_BLOCK_START.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], line) for line in lines]
    return f"\\\n{indent}".join(lines)


# --- e-mail ------------------------------------------------------------------------------------------------------

# An SMTP line is at most 998 octets (RFC 5321 4.5.3.1.6); apprise writes the subject as one quoted-printable
# encoded word without folding, where a character can take 12 octets (4 UTF-8 bytes, 3 each): a long or
# non-ASCII name made the server refuse the mail. 900 octets leave room for "Subject: =?utf-8?q?...?=".
SUBJECT_OCTETS = 900


def _encoded_octets(char: str) -> int:
    if char.isascii() and char.isprintable() and char not in "=?_":
        return 1
    return 3 * len(char.encode("utf-8"))


def mail_subject(title: str) -> str:
    """The subject line for `title`: one line (no header of its own through CR/LF), short enough for SMTP."""
    line = one_line(title)
    if sum(map(_encoded_octets, line)) <= SUBJECT_OCTETS:
        return line
    total = _encoded_octets("…")
    for index, char in enumerate(line):
        total += _encoded_octets(char)
        if total > SUBJECT_OCTETS:
            return line[:index] + "…"
    return line

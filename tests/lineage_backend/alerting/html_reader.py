"""What an HTML rendering of a document holds: its tags and its text. Shared by the hostile-names test (the
postmortem as markdown-it and Python-Markdown render it) and the e2e security sweep (the downloaded
postmortem)."""

from __future__ import annotations

from html.parser import HTMLParser

# A postmortem's own markup: its headings, lists, emphasis and code; anything else came from a name.
POSTMORTEM_TAGS = frozenset({"h1", "h2", "p", "ul", "li", "strong", "code", "br"})


def read_html(html: str) -> tuple[list[str], str]:
    """The start tags of an HTML document, in order, and its text (entities decoded)."""
    tags: list[str] = []
    words: list[str] = []

    class Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.append(tag)

        def handle_data(self, data: str) -> None:
            words.append(data)

    Reader(convert_charrefs=True).feed(html)
    return tags, "".join(words)


def assert_postmortem_outline(tags: list[str], html: str) -> None:
    """Only the postmortem's own markup, and its outline: a title and three sections (Runs, Impact, Timeline)."""
    assert set(tags) <= POSTMORTEM_TAGS, (set(tags), html)
    assert tags.count("h1") == 1 and tags.count("h2") == 3, html

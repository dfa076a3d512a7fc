"""A small Markdown subset for the methodology page of the site (headings, lists, tables, code, emphasis,
links); the page must not load a Markdown library from a CDN, and the subset keeps the output reproducible."""

from __future__ import annotations

import html
import re

_ITEM = re.compile(r"^\s*([-*]|\d+\.)\s+")
_RULE = re.compile(r"^\|[\s:|-]+\|?\s*$")


def _inline(text: str) -> str:
    s = html.escape(text, quote=False)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    s = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", s)
    s = re.sub(r"(?<![*\w])\*([^*]+)\*(?!\w)", r"<em>\1</em>", s)

    def link(m: re.Match) -> str:
        href = m.group(2)
        if not re.match(r"^(https?:|#|[\w./-]+$)", href):
            return m.group(1)
        return f'<a href="{html.escape(href)}">{m.group(1)}</a>'

    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", link, s)


def _code(lines: list[str], i: int) -> tuple[str, int]:
    """A fenced block starting at ``lines[i]``; returns its HTML and the index after the closing fence."""
    block = []
    i += 1
    while i < len(lines) and not lines[i].startswith("```"):
        block.append(lines[i])
        i += 1
    return "<pre><code>" + html.escape("\n".join(block)) + "</code></pre>", i + 1


def _list(lines: list[str], i: int) -> tuple[str, int]:
    """A list starting at ``lines[i]`` (indented continuation lines join their item)."""
    ordered = bool(re.match(r"^\s*\d+\.", lines[i]))
    items = []
    while i < len(lines) and _ITEM.match(lines[i]):
        item = _ITEM.sub("", lines[i])
        while i + 1 < len(lines) and lines[i + 1].startswith("  ") and lines[i + 1].strip() \
                and not _ITEM.match(lines[i + 1]):
            i += 1
            item += " " + lines[i].strip()
        items.append("<li>" + _inline(item) + "</li>")
        i += 1
    tag = "ol" if ordered else "ul"
    return f"<{tag}>" + "".join(items) + f"</{tag}>", i


def _table(lines: list[str], i: int) -> tuple[str, int]:
    """A pipe table whose header is ``lines[i]`` and rule ``lines[i + 1]``."""
    head = [c.strip() for c in lines[i].strip().strip("|").split("|")]
    i += 2
    rows = []
    while i < len(lines) and lines[i].startswith("|"):
        rows.append([c.strip() for c in lines[i].strip().strip("|").split("|")])
        i += 1
    return ("<table class='md'><thead><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in head)
            + "</tr></thead><tbody>" + "".join(
                "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in rows)
            + "</tbody></table>"), i


def markdown_to_html(md: str) -> str:
    """A small Markdown subset (headings, lists, tables, code, emphasis, links): enough for the methodology."""
    out: list[str] = []
    lines = md.splitlines()
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append("<p>" + _inline(" ".join(para)) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        block = None
        if line.startswith("```"):
            block = _code
        elif _ITEM.match(line):
            block = _list
        elif line.startswith("|") and i + 1 < len(lines) and _RULE.match(lines[i + 1]):
            block = _table
        if block is not None:
            flush()
            text, i = block(lines, i)
            out.append(text)
            continue
        if m := re.match(r"^(#{1,6})\s+(.*)$", line):
            flush()
            n = len(m.group(1))
            out.append(f"<h{n + 1}>{_inline(m.group(2))}</h{n + 1}>")
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return "\n".join(out)

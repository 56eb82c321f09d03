"""Filling a Word template with docxtpl in Jinja2's sandbox, and reading a document back for a preview.

docxtpl puts Jinja2 inside a .docx: the council's own letter, with its letterhead, fonts, tables
and headers, keeps its formatting and only the fields change. It renders the body, headers,
footers, footnotes and document properties through the environment it is given; the one given
here is Jinja's ImmutableSandboxedEnvironment, which refuses attributes starting with `_`,
functions' internals and anything that changes a value, and it escapes every value for XML (a
solicitors' firm called "Ashby & Cole" must not break the document).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from docx import Document
from docx.oxml import parse_xml
from docxtpl import DocxTemplate
from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

# Characters docxtpl turns into paragraph or page breaks, never wanted from a record.
_BREAKERS = re.compile("[\a\f\v]")


def sandbox() -> ImmutableSandboxedEnvironment:
    """The Jinja environment every template is parsed and rendered in."""
    return ImmutableSandboxedEnvironment(autoescape=True)


def template_source(content: bytes) -> str:
    """The template's Jinja source as docxtpl renders it (body, headers, footers, footnotes, properties)."""
    template = DocxTemplate(io.BytesIO(content))
    template.init_docx()
    parts = [template.patch_xml(template.get_xml())]
    for rel in template.docx.part.rels.values():
        if rel.is_external:
            continue
        if rel.reltype in (template.HEADER_URI, template.FOOTER_URI) or rel.reltype.endswith("/footnotes"):
            blob = rel.target_part.blob
            parts.append(template.patch_xml(template.xml_to_string(parse_xml(blob))))
    props = template.docx.core_properties
    parts += [getattr(props, p) or "" for p in ("author", "comments", "identifier", "language", "subject", "title")]
    return "\n".join(parts)


def clean(value: Any) -> Any:
    """Strip characters that docxtpl would turn into breaks, through dicts and lists."""
    if isinstance(value, str):
        return _BREAKERS.sub("", value)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def render_docx(content: bytes, context: dict[str, Any]) -> bytes:
    """The filled-in document (ValidationError, in words, if the template cannot be filled)."""
    template = DocxTemplate(io.BytesIO(content))
    try:
        template.render(clean(context), jinja_env=sandbox(), autoescape=True)
    except SecurityError as exc:
        raise ValidationError(
            "The template tries to reach into the program behind it and was stopped: upload a corrected template"
        ) from exc
    except TemplateError as exc:
        raise ValidationError(f"The template could not be filled in: {exc.message}") from exc
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Block:
    """One paragraph (or a table's row) of a document, for the preview page."""

    text: str
    style: str  # "heading", "table" or "body"


def preview_blocks(content: bytes) -> list[Block]:
    """The document's paragraphs and table rows in order, as text, for an HTML preview."""
    document = Document(io.BytesIO(content))
    blocks: list[Block] = []
    body = document.element.body
    paragraphs = {p._p: p for p in document.paragraphs}
    tables = {t._tbl: t for t in document.tables}
    for child in body.iterchildren():
        if child in paragraphs:
            p = paragraphs[child]
            if p.text.strip():
                heading = p.style is not None and (p.style.name or "").lower().startswith(("heading", "title"))
                blocks.append(Block(p.text, "heading" if heading else "body"))
        elif child in tables:
            for row in tables[child].rows:
                cells = []
                for cell in row.cells:
                    if cell.text not in cells:
                        cells.append(cell.text)
                blocks.append(Block(" | ".join(cells), "table"))
    return blocks


def document_text(content: bytes) -> str:
    """All the text of a document, paragraphs, tables, headers and footers, one line each."""
    document = Document(io.BytesIO(content))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines += [c.text for c in row.cells]
    for section in document.sections:
        lines += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    props = document.core_properties
    lines += [props.title or "", props.subject or "", props.comments or "", props.author or ""]
    return "\n".join(lines)

"""Checks on an uploaded Word template, before anything is stored: each problem in plain words.

The file must be a .docx Word document (not a macro-enabled .docm, not encrypted, not over
10 MB), and its fields must be the documented ones for its kind (letters.fields). A template is
Jinja2 inside Word (docxtpl); Jinja can reach Python's objects through attributes such as
`''.__class__`, so besides rendering in Jinja's sandbox (letters.rendering) the template's syntax
tree is read here and refused if it calls anything, touches an attribute starting with `_`, takes
an attribute of a literal, or uses a statement other than `if` and `for`.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from jinja2 import TemplateSyntaxError, nodes

from .fields import LOOP, SCHEMAS, Schema, field_paths

MAX_BYTES = 10 * 1024 * 1024
#: A .docx is a zip; its unpacked parts may not exceed this (a small file can unpack to gigabytes).
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
#: Filters that only shape text (no attribute lookups by name, no switching off escaping).
SAFE_FILTERS = frozenset(
    {
        "upper",
        "lower",
        "title",
        "capitalize",
        "trim",
        "default",
        "d",
        "join",
        "length",
        "count",
        "first",
        "last",
        "replace",
        "truncate",
        "wordcount",
        "e",
        "escape",
        "string",
    }
)
SAFE_TESTS = frozenset({"defined", "undefined", "none", "string", "number", "sequence", "eq", "ne", "in"})
DANGER = (
    "It reaches into the program behind the template ({what}): a template may only use the listed fields, "
    "with if and for. Remove it and upload the template again."
)


@dataclass
class TemplateCheck:
    """What the check of one template found: problems, and the fields it uses."""

    problems: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)


def check_file(*, name: str, size: int, content: bytes) -> None:
    """Refuse a file that is not a plain .docx Word document (ValidationError with the reason)."""
    lower = name.lower()
    if size > MAX_BYTES:
        raise ValidationError(f"The file is {size / 2**20:.1f} MB: a template must be 10 MB or smaller")
    if lower.endswith((".docm", ".dotm")):
        raise ValidationError(
            "The file is a macro-enabled Word document (.docm): macros are never accepted. "
            "Save it as a Word Document (.docx) without macros"
        )
    if content.startswith(OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in content or b"EncryptedPackage" in content:
            raise ValidationError(
                "The file is encrypted (protected with a password): remove the password in Word "
                "(File, Info, Protect Document) and upload it again"
            )
        raise ValidationError("The file is an old Word document (.doc): open it in Word and save it as .docx")
    if not lower.endswith(".docx"):
        raise ValidationError("The file is not a Word document (.docx): save the template in Word as .docx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = archive.namelist()
        unpacked = sum(i.file_size for i in archive.infolist())
        types = archive.read("[Content_Types].xml").decode("utf-8", "replace") if "[Content_Types].xml" in names else ""
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValidationError("The file is not a Word document (.docx): it could not be opened") from exc
    if any(n.lower().endswith("vbaproject.bin") for n in names) or "macroEnabled" in types:
        raise ValidationError("The file contains macros: save it in Word as a .docx without macros")
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationError("The file unpacks to more than 60 MB: a template must be a plain letter")
    if "word/document.xml" not in names or WORD_MAIN not in types:
        raise ValidationError("The file is not a Word document (.docx): it has no document inside")


def check_template_source(source: str, kind: str) -> TemplateCheck:
    """Parse the template's Jinja (as docxtpl prepares it) and check every field and statement."""
    from .rendering import sandbox

    result = TemplateCheck()
    try:
        tree = sandbox().parse(source)
    except TemplateSyntaxError as exc:
        result.problems.append(f"A field or statement is written wrongly: {exc.message}")
        return result
    _Walker(SCHEMAS[kind], result).visit(tree, {})
    return result


def unknown_fields_message(unknown: list[str], kind: str) -> str:
    """The refusal for unknown fields: which, and the fields there are."""
    listed = ", ".join("{{ " + u + " }}" for u in sorted(set(unknown)))
    paths = ", ".join(p for p, _ in field_paths(SCHEMAS[kind]))
    return f"These fields are not in the list for this document: {listed}. The fields you can use are: {paths}"


class _Walker:
    """Walks a Jinja syntax tree, knowing which schema each loop variable stands for."""

    def __init__(self, schema: Schema, result: TemplateCheck) -> None:
        self.schema = schema
        self.result = result

    def danger(self, what: str) -> None:
        message = DANGER.format(what=what)
        if message not in self.result.problems:
            self.result.problems.append(message)

    def visit(self, node: nodes.Node, scope: dict[str, Any]) -> None:
        if isinstance(node, nodes.For):
            self.for_loop(node, scope)
        elif isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
            self.resolve(node, scope)
        elif isinstance(node, nodes.Call):
            self.danger("a call of a function or method")
            self.children(node, scope)
        elif isinstance(node, nodes.Filter):
            if node.name not in SAFE_FILTERS:
                self.danger(f"the filter {node.name}")
            self.children(node, scope)
        elif isinstance(node, nodes.Test):
            if node.name not in SAFE_TESTS:
                self.danger(f"the test {node.name}")
            self.children(node, scope)
        elif isinstance(
            node,
            (
                nodes.Macro,
                nodes.CallBlock,
                nodes.Import,
                nodes.FromImport,
                nodes.Include,
                nodes.Extends,
                nodes.Block,
                nodes.Assign,
                nodes.AssignBlock,
                nodes.With,
                nodes.FilterBlock,
                nodes.ExprStmt,
                nodes.Scope,
                nodes.OverlayScope,
                nodes.EvalContextModifier,
                nodes.ScopedEvalContextModifier,
            ),
        ):
            self.danger(f"the statement {type(node).__name__.lower()}")
        else:
            self.children(node, scope)

    def children(self, node: nodes.Node, scope: dict[str, Any]) -> None:
        for child in node.iter_child_nodes():
            self.visit(child, scope)

    def for_loop(self, node: nodes.For, scope: dict[str, Any]) -> None:
        item: Any = None
        spec = self.resolve(node.iter, scope)
        if isinstance(spec, list):
            item = spec[0]
        elif spec is not None:
            self.danger("a loop over something that is not a list")
        if not isinstance(node.target, nodes.Name):
            self.danger("a loop with more than one variable")
            return
        inner = {**scope, node.target.name: item, "loop": LOOP}
        if node.test is not None:
            self.visit(node.test, inner)
        for child in node.body:
            self.visit(child, inner)
        for child in node.else_:
            self.visit(child, scope)

    def resolve(self, node: nodes.Node, scope: dict[str, Any]) -> Any:
        """The schema a field expression stands for (None if unknown or refused, already noted)."""
        chain: list[str] = []
        base = node
        while isinstance(base, (nodes.Getattr, nodes.Getitem)):
            if isinstance(base, nodes.Getattr):
                chain.append(base.attr)
            elif isinstance(base.arg, nodes.Const) and isinstance(base.arg.value, str):
                chain.append(base.arg.value)
            elif isinstance(base.arg, nodes.Const) and isinstance(base.arg.value, int):
                chain.append("[]")
            else:
                self.danger("an index that is not a plain name")
                self.visit(base.arg, scope)
                return None
            base = base.node
        chain.reverse()
        if any(part.startswith("_") for part in chain):
            self.danger("an attribute starting with _ (" + ".".join(p for p in chain if p.startswith("_")) + ")")
            return None
        if not isinstance(base, nodes.Name):
            if chain:
                self.danger("an attribute of something that is not a field")
                return None
            self.visit(base, scope)
            return None
        name = base.name
        if name in scope:
            spec = scope[name]
            root_path = None  # a loop variable: its list was counted as used
        elif name in self.schema:
            spec = self.schema[name]
            root_path = name
        else:
            self.result.unknown.append(".".join([name, *chain]))
            return None
        path = [name]
        for part in chain:
            if part == "[]" and isinstance(spec, list):
                spec = spec[0]
                continue
            if not isinstance(spec, dict) or part not in spec:
                self.result.unknown.append(".".join([*path, part]))
                return None
            spec = spec[part]
            path.append(part)
        if root_path is not None:
            # Which fields the template uses, down to a date's milestone, to know which dates a draft used.
            self.result.used.add(".".join(path[:2]))
        return spec

"""Council templates: what an upload is refused for (nothing stored), the sandbox, versions and audit."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from docx import Document
from pghistory.models import Events

from accounts.roles import Role
from letters import services
from letters.defaults import default_template
from letters.fields import SCHEMAS, field_paths
from letters.kinds import DocumentKind
from letters.models import LetterTemplate
from letters.rendering import document_text, render_docx

pytestmark = pytest.mark.django_db

K = DocumentKind
LBP = K.LETTER_BEFORE_PROCEEDINGS


def docx_with(*paragraphs: str) -> bytes:
    """A Word document whose paragraphs are these (each may hold template fields)."""
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, team=None)


def refused(admin, content: bytes, filename: str = "letter.docx", kind: str = LBP) -> str:
    """Upload, expect a refusal, check nothing was stored, and return the reason."""
    before = LetterTemplate.objects.filter(uploaded_by__isnull=False).count()
    with pytest.raises(ValidationError) as info:
        services.template_upload(kind=kind, filename=filename, content=content, by=admin)
    assert LetterTemplate.objects.filter(uploaded_by__isnull=False).count() == before
    return " ".join(info.value.messages)


def test_a_good_template_is_stored_as_the_next_version_with_the_fields_it_uses(admin):
    template = services.template_upload(
        kind=LBP,
        filename="Northmoor LBP.docx",
        content=docx_with("Dear {{ recipient.name }},", "Meet by {{ dates.initial_meeting.date }}"),
        by=admin,
    )
    assert template.version == 2  # the shipped template is version 1
    assert LetterTemplate.objects.get(kind=LBP, version=1).shipped
    assert template.fields_used == ["dates.initial_meeting", "recipient.name"]
    assert services.template_current(kind=LBP) == template
    again = services.template_upload(kind=LBP, filename="v3.docx", content=docx_with("{{ recipient.name }}"), by=admin)
    assert again.version == 3 and services.template_current(kind=LBP) == again


def test_every_shipped_template_passes_the_upload_check():
    for kind in DocumentKind.values:
        used = services.template_check(kind=kind, filename="default.docx", content=default_template(kind))
        assert used, kind


@pytest.mark.parametrize(
    ("filename", "content", "reason"),
    [
        ("letter.pdf", b"%PDF-1.7 not a word file", "not a Word document"),
        ("letter.docx", b"plain text pretending", "not a Word document"),
        ("letter.docm", b"PK\x03\x04", "macro-enabled"),
        ("letter.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old Word document"),
        (
            "letter.docx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 600,
            "encrypted",
        ),
    ],
)
def test_files_that_are_not_plain_word_documents_are_refused_with_the_reason(admin, filename, content, reason):
    assert reason in refused(admin, content, filename)


def test_a_docx_carrying_macros_is_refused(admin):
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx_with("Dear {{ recipient.name }}"))) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("word/vbaProject.bin", b'Attribute VB_Name = "ThisDocument"')
    assert "contains macros" in refused(admin, out.getvalue())


def test_a_file_over_10_mb_is_refused(admin):
    big = docx_with("Dear {{ recipient.name }}") + b"\0" * (10 * 1024 * 1024)
    assert "10 MB or smaller" in refused(admin, big)


def test_unknown_fields_are_named_with_the_list_of_fields(admin):
    reason = refused(admin, docx_with("Dear {{ recipient.nmae }}, {{ childs }} {{ family.name }}"))
    assert "{{ recipient.nmae }}" in reason and "{{ childs }}" in reason
    assert "family.name" not in reason.split("The fields you can use are")[0]
    assert "The fields you can use are: council, drafted_on, family.name" in reason
    assert "recipient.solicitor_firm" in reason


def test_privileged_fields_are_not_fields_of_any_template(admin):
    for kind in DocumentKind.values:
        paths = " ".join(p for p, _ in field_paths(SCHEMAS[kind]))
        assert "advice" not in paths, kind
        if kind != K.TRACKER_MINUTES:
            assert "minutes" not in paths, kind
    reason = refused(admin, docx_with("{{ legal_advice }} {{ lpm.minutes }}"))
    assert "{{ legal_advice }}" in reason and "{{ lpm.minutes }}" in reason


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__.__mro__ }}",
        "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
        "{{ recipient.__class__ }}",
        "{{ recipient.name.upper() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ family|attr('__class__') }}",
        "{% set x = 1 %}{{ x }}",
        "{{ (family.name ~ 'x').__len__ }}",
        "{{ recipient['__class__'] }}",
    ],
)
def test_templates_that_reach_into_python_are_refused_and_nothing_is_stored(admin, attack):
    reason = refused(admin, docx_with("Dear {{ recipient.name }},", attack))
    assert "reaches into the program" in reason or "not in the list" in reason


def test_the_sandbox_stops_a_template_that_got_past_the_check():
    """Defence in depth: rendering itself refuses, whatever the upload check missed."""
    content = docx_with("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(ValidationError, match="reach into the program"):
        render_docx(content, {})


def test_values_are_escaped_for_word(admin):
    content = render_docx(
        docx_with("{{ recipient.solicitor_firm }}"), {"recipient": {"solicitor_firm": "Ashby & Cole <LLP>"}}
    )
    assert "Ashby & Cole <LLP>" in document_text(content)


def test_a_syntax_error_is_explained(admin):
    assert "written wrongly" in refused(admin, docx_with("Dear {{ recipient.name }"))


def test_only_the_administrator_uploads(make_user):
    for role in set(Role) - {Role.ADMINISTRATOR}:
        with pytest.raises(PermissionDenied):
            services.template_upload(kind=LBP, filename="x.docx", content=docx_with("x"), by=make_user(role))


def test_an_upload_is_audited_with_who_uploaded_it(admin, client):
    client.force_login(admin)
    response = client.post(
        reverse("letters:template-upload"),
        {"kind": LBP, "language": "Polish", "template": _file(docx_with("Drogi {{ recipient.name }}"))},
    )
    assert response.status_code == 302
    template = LetterTemplate.objects.get(kind=LBP, language="Polish")
    assert template.version == 1 and template.uploaded_by == admin
    events = Events.objects.references(template).filter(pgh_obj_model="letters.LetterTemplate")
    assert [e.pgh_label for e in events] == ["insert"]
    assert events[0].pgh_context["user"] == admin.pk
    assert "content" not in events[0].pgh_data


def test_the_upload_page_refuses_with_the_reason_beside_the_field(admin, client):
    client.force_login(admin)
    response = client.post(
        reverse("letters:template-upload"), {"kind": LBP, "template": _file(b"not a docx", "x.docm")}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page and "macro-enabled" in page
    assert not LetterTemplate.objects.filter(uploaded_by__isnull=False).exists()


def test_the_template_list_shows_each_document_and_lets_the_shipped_one_be_downloaded(admin, client):
    client.force_login(admin)
    page = client.get(reverse("letters:template-list")).content.decode()
    for label in DocumentKind.labels:
        assert str(label).replace("'", "&#x27;") in page
    shipped = LetterTemplate.objects.get(kind=LBP, version=1)
    response = client.get(reverse("letters:template-download", args=[shipped.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "Letter before proceedings" in document_text(response.content)


def test_docs_letters_md_lists_every_field_of_every_document():
    from pathlib import Path

    from letters.fields import MILESTONES

    docs = (Path(__file__).resolve().parents[2] / "docs" / "letters.md").read_text(encoding="utf-8")
    for kind in DocumentKind.values:
        for path, _ in field_paths(SCHEMAS[kind]):
            assert f"`{path}`" in docs, (kind, path)
    for milestone in MILESTONES:
        assert f"`{milestone}`" in docs, milestone


def _file(content: bytes, name: str = "template.docx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_the_same_upload_sent_twice_keeps_one_version(admin, client):
    """A double click or a page sent again never makes a second version (issue 24 §6)."""
    client.force_login(admin)
    url = reverse("letters:template-upload")
    token = re.search(r'name="once_token" value="([^"]+)"', client.get(url).content.decode())
    assert token is not None

    def form() -> dict:
        body = docx_with("Drogi {{ recipient.name }}")
        return {"kind": LBP, "language": "Polish", "template": _file(body), "once_token": token.group(1)}

    assert client.post(url, form()).status_code == 302
    again = client.post(url, form(), follow=True)
    assert "This was already saved" in again.content.decode()
    assert LetterTemplate.objects.filter(kind=LBP, language="Polish").count() == 1

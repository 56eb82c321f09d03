"""Drafting each document for a demo family, read back with python-docx: names and every date
against the case page's own timetable; nothing privileged in anything for parents; the drafts
that cannot be made; and a draft going out of date when the timetable moves."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from docx import Document

from accounts.models import User
from cases.models import EndOutcome, Episode, Person, Stage
from cases.selectors import case_page
from conftest import DEMO_TODAY, demo_council_copied
from deadlines.services import calendar_current
from letters import services
from letters.context import uk_date
from letters.fields import SCHEMAS
from letters.kinds import PARENT_FACING, PER_PARENT, DocumentKind
from letters.models import Draft, LetterTemplate
from letters.rendering import document_text, render_docx
from letters.selectors import case_drafts
from meetings import services as ms
from meetings.models import LPM, LegalAdvice
from tracker_meetings import services as ts
from tracker_meetings.models import AgendaItem

pytestmark = pytest.mark.django_db

K = DocumentKind
TODAY = DEMO_TODAY  # Monday 23 November 2026
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
A_DATE = re.compile(rf"\b(\d{{1,2}}) ({MONTHS}) (\d{{4}})\b")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo council for TODAY (`manage.py demo_data`, built once per run and copied in for the
    module); each test's changes roll back, and the empty database is put back after the module."""
    with demo_council_copied(django_db_blocker):
        yield


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def user(name: str) -> User:
    return User.objects.get(username=name)


def open_pre_proceedings(*, parents: int = 2) -> Episode:
    """A demo family in pre-proceedings with at least this many parents with addresses."""
    for episode in Episode.objects.filter(stage=Stage.PRE_PROCEEDINGS, ended_on__isnull=True).order_by("pk"):
        people = [p for p in episode.family.people.all() if p.parental_responsibility]
        if len(people) >= parents and all(p.address for p in people) and not episode.family.restricted:
            return episode
    raise AssertionError("the demo has no family in pre-proceedings with two parents")


def episode_for(kind: str) -> Episode:
    """A demo family at the step where this document is due."""
    if kind in (K.LETTER_BEFORE_PROCEEDINGS, K.AGREEMENT, K.LPM_COVER_SHEET):
        return open_pre_proceedings()
    for episode in Episode.objects.select_related("family").order_by("pk"):
        page = case_page(episode.family, today=TODAY)
        if page.episode != episode or episode.family.restricted:
            continue
        if kind == K.LETTER_OF_ISSUE and getattr(episode, "proceedings", None) is not None:
            return episode
        if kind == K.EXIT_LETTER and episode.end_outcome in (EndOutcome.STEP_DOWN_CP, EndOutcome.STEP_DOWN_CIN):
            return episode
    raise AssertionError(f"the demo has no family for {kind}")


def decided_lpm(episode: Episode) -> LPM:
    """The LPM that decided the episode's course (the latest with an outcome)."""
    lpm = episode.lpms.exclude(outcome="").order_by("panel_date").last()
    assert lpm is not None
    return lpm


DRAFTERS: dict[str, str] = {K.EXIT_LETTER: "helen.hos", K.LPM_COVER_SHEET: "helen.hos"}


def drafter(kind: str) -> User:
    return user(DRAFTERS.get(kind, "clara.clo"))


def timetable_dates(episode: Episode) -> dict[str, dt.date | None]:
    """What the case page shows: each milestone's due (or provisional) date, by its first occurrence."""
    page = case_page(episode.family, today=TODAY)
    return {
        r.deadline.key: r.deadline.due_on or r.deadline.provisional_on
        for r in page.deadlines
        if r.deadline.occurrence == 1
    }


CASE_KINDS = [K.LETTER_BEFORE_PROCEEDINGS, K.AGREEMENT, K.LPM_COVER_SHEET, K.EXIT_LETTER, K.LETTER_OF_ISSUE]


@pytest.mark.parametrize("kind", CASE_KINDS)
def test_each_document_is_drafted_with_the_names_and_the_case_pages_dates(demo, kind):
    episode = episode_for(kind)
    family = episode.family
    drafts = services.draft_create(
        episode=episode,
        kind=kind,
        meeting_time="10am",
        meeting_place="Northmoor Family Centre",
        by=drafter(kind),
        today=TODAY,
    )
    parents = [p for p in family.people.all() if p.parental_responsibility]
    assert [d.person for d in drafts] == (parents if kind in PER_PARENT else [None])
    shown = timetable_dates(episode)
    for draft in drafts:
        text = "\n".join(p.text for p in Document(io.BytesIO(bytes(draft.content))).paragraphs)
        assert draft.drafted_by == drafter(kind) and draft.drafted_at == NOW
        assert draft.template.version == 1 and draft.template.shipped
        # Names: the family, each child, the people it goes to, the social worker.
        for child in family.children.all():
            assert f"{child.first_name} {child.last_name}" in text
        if draft.person is not None:
            assert draft.person.full_name in text and draft.person.address.splitlines()[0] in text
        else:
            assert all(p.full_name in text for p in parents) or kind == K.LPM_COVER_SHEET
        if kind != K.LPM_COVER_SHEET:
            assert family.social_worker.get_full_name() in text
        # Every date the document used is the case page's, and is in the text.
        assert draft.dates_used, "a document with no dates proves nothing"
        for key, used in draft.dates_used.items():
            if key.startswith("dates."):
                milestone = next(k for k in shown if re.sub(r"[^a-z0-9]+", "_", k) == key.removeprefix("dates."))
                day = shown[milestone]
                assert used["date"] == (day.isoformat() if day else None), key
            if used["date"]:
                assert uk_date(dt.date.fromisoformat(used["date"])) in text, (key, used)
        # ...and every date in the text is one of those, today's, or a child's date of birth.
        known = {uk_date(dt.date.fromisoformat(u["date"])) for u in draft.dates_used.values() if u["date"]}
        known |= {uk_date(TODAY)}
        known |= {uk_date(c.date_of_birth or c.expected_date_of_birth) for c in family.children.all()}
        for match in A_DATE.finditer(text):
            assert match.group(0) in known, (match.group(0), sorted(known))


def test_the_letter_before_proceedings_names_the_lpm_meeting_and_the_interpreter(demo):
    episode = next(
        e
        for e in Episode.objects.filter(stage=Stage.PRE_PROCEEDINGS, ended_on__isnull=True, family__restricted=False)
        if e.family.people.filter(interpreter_needed=True).exclude(address="").exists()
        and not e.family.people.filter(parental_responsibility=True, address="").exists()
    )
    drafts = services.draft_create(
        episode=episode,
        kind=K.LETTER_BEFORE_PROCEEDINGS,
        meeting_time="10am",
        meeting_place="Room 4",
        by=user("clara.clo"),
        today=TODAY,
    )
    lpm = decided_lpm(episode)
    for draft in drafts:
        text = document_text(bytes(draft.content))
        assert f"legal planning meeting on {uk_date(lpm.panel_date)}" in text
        assert "at 10am, at Room 4" in text
        assert draft.person is not None
        if draft.person.interpreter_needed:
            assert f"interpreter who speaks {draft.person.language}" in text
        else:
            assert "interpreter" not in text


def every_field_template(kind: str) -> bytes:
    """A template that prints every field of its kind, lists included."""
    lines: list[str] = []

    def walk(schema: dict, prefix: str) -> None:
        for name, spec in schema.items():
            path = f"{prefix}{name}"
            if isinstance(spec, dict):
                walk(spec, f"{path}.")
            elif isinstance(spec, list):
                var = f"x{len(lines)}"
                lines.append(f"{{%p for {var} in {path} %}}")
                walk(spec[0], f"{var}.") if isinstance(spec[0], dict) else lines.append(f"{{{{ {var} }}}}")
                lines.append("{%p endfor %}")
            else:
                lines.append(f"{{{{ {path} }}}}")

    walk(SCHEMAS[kind], "")
    document = Document()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize("kind", sorted(PARENT_FACING))
def test_nothing_privileged_is_in_any_document_for_parents(demo, kind):
    episode = episode_for(kind)
    lpm = decided_lpm(episode)
    ms.legal_advice_record(
        lpm=lpm,
        advice="PRIVILEGED-ADVICE threshold is met on the evidence",
        minutes="PRIVILEGED-MINUTES of the panel",
        by=user("leo.legal"),
        expected_version=getattr(LegalAdvice.objects.filter(lpm=lpm).first(), "version", None),
    )
    admin = user("ada.admin")
    full = services.template_upload(kind=kind, filename="all.docx", content=every_field_template(kind), by=admin)
    for template in (full, LetterTemplate.objects.get(kind=kind, version=1)):
        drafts = services.draft_create(episode=episode, kind=kind, by=drafter(kind), today=TODAY)
        assert {d.template for d in drafts} == {full}
        text = document_text(render_docx(bytes(template.content), _context_of(episode, kind)))
        for draft in drafts:
            text += document_text(bytes(draft.content))
        assert "PRIVILEGED" not in text
        assert episode.family.name in text


def _context_of(episode: Episode, kind: str) -> dict:
    from letters.context import case_context

    page = case_page(episode.family, today=TODAY)
    person = next((p for p in page.people if p.parental_responsibility), None) if kind in PER_PARENT else None
    return case_context(page=page, kind=kind, recipient=person, today=TODAY).context


def test_the_minutes_come_from_the_template_and_never_carry_legal_advice(demo):
    clo, hos = user("clara.clo"), user("helen.hos")
    meeting = ts.tracker_meeting_prepare(
        kind="weekly_tracker", meets_on=TODAY, starts_at=dt.time(10), by=clo, today=TODAY, calendar=calendar_current()
    )
    item = AgendaItem.objects.filter(meeting=meeting).order_by("position").first()
    assert item is not None
    ts.agenda_item_record(
        item=item,
        expected_version=None,
        note="Parenting assessment under way",
        decisions="Continue; review in four weeks",
        review_on=TODAY + dt.timedelta(days=28),
        legal_advice="PRIVILEGED-TRACKER advice",
        by=hos,
    )
    ts.meeting_action_add(
        item=item, description="Chase the hair strand results", owner=clo, due_on=TODAY + dt.timedelta(days=7), by=clo
    )
    name, content = services.minutes_document(meeting=meeting, user=hos, today=TODAY)
    text = document_text(content)
    assert name.endswith(".docx")
    assert item.episode.family.name in text and "Continue; review in four weeks" in text
    assert f"Chase the hair strand results: {clo.get_full_name()}, by {uk_date(TODAY + dt.timedelta(days=7))}" in text
    assert f"Review by {uk_date(TODAY + dt.timedelta(days=28))}" in text
    assert "PRIVILEGED" not in text and "not in these minutes" in text


def test_the_tracker_meeting_page_offers_the_minutes_as_a_word_document(demo, client):
    clo = user("clara.clo")
    meeting = ts.tracker_meeting_prepare(
        kind="court_tracker", meets_on=TODAY, starts_at=dt.time(14), by=clo, today=TODAY, calendar=calendar_current()
    )
    client.force_login(clo)
    page = client.get(reverse("tracker_meetings:detail", args=[meeting.pk])).content.decode()
    url = reverse("letters:minutes-download", args=[meeting.pk])
    assert f'href="{url}"' in page and "Download minutes (.docx)" in page
    response = client.get(url)
    assert response.status_code == 200 and "Court tracker meeting: minutes" in document_text(response.content)
    client.force_login(user("sam.social"))  # social workers do not read tracker meetings
    assert client.get(url).status_code == 403


# --- Refused drafts -------------------------------------------------------------------------


def test_a_family_with_no_parent_recorded_is_refused_with_what_to_record_first(demo, client):
    episode = open_pre_proceedings()
    Person.objects.filter(family=episode.family).update(parental_responsibility=False)
    with pytest.raises(ValidationError, match="No parent or person with parental responsibility"):
        services.draft_create(episode=episode, kind=K.LETTER_BEFORE_PROCEEDINGS, by=user("clara.clo"), today=TODAY)
    client.force_login(user("clara.clo"))
    url = reverse("letters:draft", args=[episode.pk]) + f"?kind={K.LETTER_BEFORE_PROCEEDINGS}"
    page = client.post(url, {"kind": K.LETTER_BEFORE_PROCEEDINGS}).content.decode()
    assert "Record this first" in page and reverse("cases:person-add", args=[episode.family.pk]) in page
    assert not Draft.objects.filter(episode=episode).exists()


def test_a_parent_with_no_address_is_refused_with_a_link_to_their_record(demo, client):
    episode = open_pre_proceedings()
    person = episode.family.people.filter(parental_responsibility=True).first()
    assert person is not None
    Person.objects.filter(pk=person.pk).update(address="")
    client.force_login(user("clara.clo"))
    url = reverse("letters:draft", args=[episode.pk]) + f"?kind={K.LETTER_BEFORE_PROCEEDINGS}"
    page = client.get(url).content.decode()
    assert f"No address is recorded for {person.full_name}" in page
    assert f'href="{reverse("cases:person-edit", args=[person.pk])}"' in page
    client.post(url, {"kind": K.LETTER_BEFORE_PROCEEDINGS})
    assert not Draft.objects.filter(episode=episode).exists()
    # The agreement goes to solicitors, not by hand: it needs parents, not their addresses.
    assert services.draft_create(episode=episode, kind=K.AGREEMENT, by=user("clara.clo"), today=TODAY)


def test_a_document_not_due_at_this_step_is_refused(demo):
    episode = open_pre_proceedings()
    with pytest.raises(ValidationError, match="letter of issue is drafted once"):
        services.draft_create(episode=episode, kind=K.LETTER_OF_ISSUE, by=user("clara.clo"), today=TODAY)


def test_roles_and_scopes_decide_who_drafts_and_who_reads(demo, client):
    episode = open_pre_proceedings()
    own_sw = episode.family.social_worker
    with pytest.raises(PermissionDenied):
        services.draft_create(episode=episode, kind=K.LETTER_BEFORE_PROCEEDINGS, by=user("leo.legal"), today=TODAY)
    with pytest.raises(PermissionDenied):
        services.draft_create(episode=episode, kind=K.EXIT_LETTER, by=own_sw, today=TODAY)
    draft = services.draft_create(episode=episode, kind=K.LETTER_BEFORE_PROCEEDINGS, by=own_sw, today=TODAY)[0]
    preview = reverse("letters:draft-preview", args=[draft.pk])
    other_sw = User.objects.filter(groups__name="Social worker").exclude(team=episode.family.team).first()
    client.force_login(other_sw)
    assert client.get(preview).status_code == 404
    assert client.get(reverse("letters:draft-download", args=[draft.pk])).status_code == 404
    client.force_login(user("owen.oversight"))  # reads every case, drafts nothing
    assert client.get(preview).status_code == 200
    assert client.get(reverse("letters:draft", args=[episode.pk])).status_code == 403
    client.force_login(user("ada.admin"))
    assert client.get(preview).status_code == 403


# --- Dates that cannot drift ------------------------------------------------------------------


def test_a_draft_goes_out_of_date_when_the_lpm_date_changes_and_says_what_changed(demo, client):
    episode = open_pre_proceedings()
    sw = episode.family.social_worker
    drafts = services.draft_create(episode=episode, kind=K.LETTER_BEFORE_PROCEEDINGS, by=sw, today=TODAY)
    page = case_page(episode.family, today=TODAY)
    assert [r.out_of_date for r in case_drafts(page, today=TODAY)] == [False] * len(drafts)
    lpm = decided_lpm(episode)
    old = lpm.panel_date
    new = old - dt.timedelta(days=1)
    ms.lpm_update(lpm=lpm, expected_version=lpm.version, panel_date=new, by=user("helen.hos"), today=TODAY)
    rows = case_drafts(case_page(episode.family, today=TODAY), today=TODAY)
    assert all(r.out_of_date for r in rows)
    assert f"Legal planning meeting: was {uk_date(old)}, now {uk_date(new)}" in rows[0].change_text
    client.force_login(sw)
    html = client.get(reverse("cases:family-detail", args=[episode.family.pk])).content.decode()
    assert "Out of date" in html and f"was {uk_date(old)}, now {uk_date(new)}" in html
    preview = client.get(reverse("letters:draft-preview", args=[drafts[0].pk])).content.decode()
    assert "This draft is out of date" in preview
    # The draft itself is kept as drafted: the same file, the dates it used.
    assert bytes(Draft.objects.get(pk=drafts[0].pk).content) == drafts[0].content


def test_a_draft_is_never_changed_or_deleted(demo):
    episode = open_pre_proceedings()
    draft = services.draft_create(episode=episode, kind=K.AGREEMENT, by=user("clara.clo"), today=TODAY)[0]
    from django.db import InternalError, ProgrammingError

    for change in (lambda: Draft.objects.filter(pk=draft.pk).update(meeting_place="x"), draft.delete):
        with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
            change()


def test_old_drafts_keep_the_template_version_they_were_made_from(demo):
    episode = open_pre_proceedings()
    first = services.draft_create(episode=episode, kind=K.AGREEMENT, by=user("clara.clo"), today=TODAY)[0]
    from letters.tests.test_templates import docx_with

    services.template_upload(
        kind=K.AGREEMENT,
        filename="ours.docx",
        content=docx_with("Agreement for {{ family.name }}"),
        by=user("ada.admin"),
    )
    second = services.draft_create(episode=episode, kind=K.AGREEMENT, by=user("clara.clo"), today=TODAY)[0]
    assert (Draft.objects.get(pk=first.pk).template.version, second.template.version) == (1, 2)
    assert document_text(bytes(second.content)).startswith(f"Agreement for {episode.family.name}")


def test_a_parent_whose_language_has_a_template_gets_their_letter_in_it(demo):
    from letters.tests.test_templates import docx_with

    episode = open_pre_proceedings()
    first, second = list(episode.family.people.filter(parental_responsibility=True).order_by("full_name"))[:2]
    Person.objects.filter(pk=first.pk).update(language="polish")
    Person.objects.filter(pk=second.pk).update(language="")
    polish = services.template_upload(
        kind=K.LETTER_BEFORE_PROCEEDINGS,
        language="Polish",
        filename="list.docx",
        content=docx_with("Szanowni Państwo, {{ recipient.name }}", "Spotkanie: {{ meeting.date }}"),
        by=user("ada.admin"),
    )
    drafts = {
        d.person_id: d
        for d in services.draft_create(
            episode=episode, kind=K.LETTER_BEFORE_PROCEEDINGS, by=user("clara.clo"), today=TODAY
        )
    }
    assert drafts[first.pk].template == polish
    assert document_text(bytes(drafts[first.pk].content)).startswith(f"Szanowni Państwo, {first.full_name}")
    assert drafts[second.pk].template.language == "" and drafts[second.pk].template.shipped


def test_the_same_draft_form_sent_twice_drafts_once(demo, client):
    """A double click or a page sent again drafts the letters once (issue 24 §6)."""
    episode = open_pre_proceedings()
    client.force_login(episode.family.social_worker)
    url = reverse("letters:draft", args=[episode.pk]) + f"?kind={K.LETTER_BEFORE_PROCEEDINGS}"
    token = re.search(r'name="once_token" value="([^"]+)"', client.get(url).content.decode())
    assert token is not None
    form = {"kind": K.LETTER_BEFORE_PROCEEDINGS, "meeting_time": "10am", "meeting_place": "Family Centre"}
    form["once_token"] = token.group(1)
    before = Draft.objects.filter(episode=episode).count()
    assert client.post(url, form).status_code == 302
    drafted = Draft.objects.filter(episode=episode).count() - before
    assert drafted == len([p for p in episode.family.people.all() if p.parental_responsibility])
    again = client.post(url, form, follow=True)
    assert "This was already saved" in again.content.decode()
    assert Draft.objects.filter(episode=episode).count() == before + drafted

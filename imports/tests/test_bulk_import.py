"""The import writes new families in bulk (issue #12 performance) without weakening what it promises:
the same records and deadlines as writing family by family through the services, every record
audited under the importer, a fixed number of queries whatever the number of rows, and a clash
the check could not see named on its row with nothing kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import transaction
from django.forms.models import model_to_dict

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from cases import services as cs
from cases.models import (
    Assessment,
    CareProceedings,
    Child,
    Episode,
    EpisodeChild,
    Extension,
    Family,
    LetterDelivery,
    Person,
)
from deadlines.models import Alert, Deadline
from deadlines.services import deadlines_recompute
from imports import services
from imports.fields import mapping_guess
from imports.models import ImportedEpisode
from imports.parsing import read_tracker
from imports.sample import SAMPLE_TODAY, sample_tracker_csv, sample_tracker_xlsx
from meetings.models import LPM, Meeting

pytestmark = pytest.mark.django_db

WRITTEN = (
    Family,
    Child,
    Person,
    Episode,
    EpisodeChild,
    LPM,
    LetterDelivery,
    Meeting,
    Assessment,
    Extension,
    CareProceedings,
    ImportedEpisode,
    Deadline,
)


def _import(by, data=None, name="sample-tracker.xlsx"):
    sheet = read_tracker(name, data or sample_tracker_xlsx())
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), tick=False):
        return services.tracker_import(
            sheet=sheet, mapping=mapping_guess(sheet.headers), by=by, today=SAMPLE_TODAY, skip_invalid=True
        )


def _recorded() -> dict[str, list[tuple]]:
    """What a person would see of every imported record, keyed by family case ID (no ids, no times)."""
    skip = {"id", "created_at", "updated_at", "computed_at", "imported_at", "version"}

    def plain(record) -> tuple:
        values = {k: v for k, v in model_to_dict(record).items() if k not in skip and not isinstance(v, list)}
        return tuple(sorted((k, str(v)) for k, v in values.items() if not k.endswith("family") and k != "episode"))

    out: dict[str, list[tuple]] = {}
    for family in Family.objects.all():
        episode = family.episodes.get()
        rows = [plain(family), plain(episode)]
        for related in (
            family.children.all(),
            family.people.all(),
            episode.lpms.all(),
            episode.letter_deliveries.all(),
            episode.meetings.all(),
            episode.assessments.all(),
            episode.extensions.all(),
            CareProceedings.objects.filter(episode=episode),
            episode.deadlines.all(),
        ):
            rows += sorted(
                tuple((k, v) for k, v in plain(r) if k not in ("person", "child", "agreed_by", "opened_by"))
                for r in related
            )
        rows += sorted(
            (a.kind, a.recipient.username, str(a.due_on), str(a.raised_on))
            for a in Alert.objects.filter(episode=episode).select_related("recipient")
        )
        out[family.reference] = rows
    return out


class _Rollback(Exception):
    pass


def test_the_bulk_write_records_what_the_services_record_family_by_family(council, monkeypatch):
    """Same families, children (and their legal status), parents, episodes (stage, dates, policy),
    LPMs, letters, meetings, assessments, extensions, proceedings and deadlines (states, due and
    met dates) as writing each family through the services, which the import still does when
    the bulk write clashes with a record."""
    clo = council["people"]["clo"]
    try:
        with transaction.atomic():
            bulk = _import(clo)
            bulk_recorded = _recorded()
            raise _Rollback
    except _Rollback:
        pass
    assert bulk.created == 9 and not Family.objects.exists()

    def clash(*args, **kwargs):
        from django.db import IntegrityError

        raise IntegrityError("forced: write family by family")

    monkeypatch.setattr(services, "_create_all", clash)
    one_by_one = _import(clo)
    assert one_by_one.created == 9
    assert (bulk.deadlines, bulk.created) == (one_by_one.deadlines, one_by_one.created)
    assert _recorded() == bulk_recorded


def test_stored_deadlines_are_what_recomputing_each_episode_gives(council):
    _import(council["people"]["clo"])
    before = {(d.episode_id, d.key, d.occurrence): model_to_dict(d) for d in Deadline.objects.all()}
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), tick=False):
        for episode in Episode.objects.all():
            deadlines_recompute(episode=episode, today=SAMPLE_TODAY)
    after = {(d.episode_id, d.key, d.occurrence): model_to_dict(d) for d in Deadline.objects.all()}
    assert after == before


def test_every_record_written_in_bulk_has_its_insert_event_under_the_importer(council):
    clo = council["people"]["clo"]
    _import(clo)
    for model in WRITTEN:
        event_model: Any = next(m for m in apps.get_models() if getattr(m, "pgh_tracked_model", None) is model)
        copied = [f.attname for f in event_model._meta.concrete_fields if not f.name.startswith("pgh_")]
        rows = {r.pk: r for r in model._default_manager.all()}
        events = list(event_model._default_manager.filter(pgh_label="insert").select_related("pgh_context"))
        assert rows, model.__name__
        assert sorted(e.pgh_obj_id for e in events) == sorted(rows), model.__name__
        for event in events:
            row = rows[event.pgh_obj_id]
            assert {a: getattr(event, a) for a in copied} == {a: getattr(row, a) for a in copied}, model.__name__
            assert event.pgh_context.metadata == {"user": clo.pk, "source": "tracker import"}, model.__name__


def test_the_audit_trigger_works_again_after_a_bulk_write_in_the_same_transaction(council):
    """The row trigger is switched off only for the bulk statements, not for what follows."""
    import pghistory
    from pghistory.models import Events

    clo = council["people"]["clo"]
    with transaction.atomic():
        _import(clo)
        with pghistory.context(user=clo.pk):
            family = cs.family_create(
                reference="BY-HAND-1",
                name="Hand family",
                team=council["teams"]["Northmoor North Family Safeguarding Team"],
                social_worker=council["people"]["priya.lakhani"],
                team_manager=None,
                by=clo,
            )
    assert Events.objects.references(family).filter(pgh_label="insert").count() == 1


def _queries_to_import(django_assert_num_queries, by, rows, prefix, expected):
    data = sample_tracker_csv(rows, prefix)
    with django_assert_num_queries(expected):
        result = _import(by, data=data, name="t.csv")
    assert result.created == rows


# Reading staff, teams, what is recorded; one INSERT per table written (and its audit events);
# locking, reading and writing every episode's deadlines and overrun alerts at once; a savepoint
# around each insert; the council's go-live date, read once for the batch (deadlines/golive.py);
# the LPMs' legal advice (when its record went to the head of service), one prefetch for the batch.
IMPORT_QUERIES = 86


def test_importing_more_rows_takes_no_more_queries(council, django_assert_num_queries):
    clo = council["people"]["clo"]
    _import(clo, data=sample_tracker_csv(9, "WARM"), name="t.csv")  # calendars and caches
    # Both files' deadlines fit one bulk statement (plo_tracker/bulk.py writes BATCH rows a statement;
    # with about 20 deadlines a family, 100 families pass 2,000 and take one more statement a table).
    _queries_to_import(django_assert_num_queries, clo, 40, "FORTY", IMPORT_QUERIES)
    _queries_to_import(django_assert_num_queries, clo, 80, "EIGHTY", IMPORT_QUERIES)


def test_a_clash_the_check_could_not_see_is_named_on_its_row_and_nothing_is_kept(council, monkeypatch):
    """Someone records a child with the same case ID between the check and the write: the database
    refuses the bulk write, the import writes family by family and names the row."""
    clo = council["people"]["clo"]
    north = council["teams"]["Northmoor North Family Safeguarding Team"]
    hand = cs.family_create(
        reference="HAND-1",
        name="Hand family",
        team=north,
        social_worker=council["people"]["priya.lakhani"],
        team_manager=None,
        by=clo,
    )
    cs.child_create(
        family=hand,
        first_name="Kai",
        last_name="Hand",
        date_of_birth=dt.date(2019, 1, 1),
        expected_date_of_birth=None,
        gender="not_known",
        case_system_id="C-50101",  # Kelly Ashby's son on the sample's first row
        by=clo,
        today=SAMPLE_TODAY,
    )
    real_check = services._check_against_records
    # The clash happens after the check looked (as another person saving at that moment would).
    monkeypatch.setattr(
        services,
        "_check_against_records",
        lambda families: real_check([f for f in families if f.reference != "TRK-1001"]),
    )
    result = _import(clo)
    assert result.refused and result.created == 0
    assert set(Family.objects.values_list("reference", flat=True)) == {"HAND-1"}
    assert not ImportedEpisode.objects.exists() and not Deadline.objects.exists()
    ashby = next(r for r in result.check.rows if r.reference == "TRK-1001")
    assert ashby.errors == ["Refused when saved: Child with this Case system ID already exists."]


def test_a_final_meeting_without_an_initial_meeting_is_named_in_the_preview(council):
    def edit(ws, headers, rows):
        r = rows["TRK-1008"]  # Hughes: only the LPM so far
        ws.cell(r, headers.index("Final meeting") + 1).value = "01/12/2026"

    from imports.tests.test_sample_import import _edited_sample

    sheet = read_tracker("t.xlsx", _edited_sample(edit))
    check = services.tracker_check(sheet=sheet, mapping=mapping_guess(sheet.headers), today=SAMPLE_TODAY)
    hughes = next(r for r in check.rows if r.reference == "TRK-1008")
    assert hughes.errors == ["A final meeting is given but no initial meeting"]


def test_an_importer_whose_role_may_not_open_families_is_refused(council):
    from django.core.exceptions import PermissionDenied

    reader = UserFactory(username="rita.reader", roles=[Role.READ_ONLY], team=None)
    with pytest.raises(PermissionDenied):
        _import(reader)
    assert not Family.objects.exists()

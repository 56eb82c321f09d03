"""Importing staff from CSV (issue #12 §1): the check, the import, all or nothing, idempotence."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from pghistory.models import Events

from accounts.models import Team, User
from accounts.roles import Role
from imports import staff as staff_import_module
from imports.staff import read_staff, staff_check, staff_import

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-staff.csv"
HEADER = "Username,Name,Email,Team,Roles\n"
NORTH = "Northmoor North Family Safeguarding Team"
CENTRAL = "Northmoor Central Family Safeguarding Team"


def _sheet(text: str, encoding: str = "utf-8"):
    return read_staff("staff.csv", text.encode(encoding))


def _errors(check) -> dict[int, list[str]]:
    return {r.number: r.errors for r in check.rows if r.errors}


def test_the_sample_file_on_the_demo_council(demo_staff):
    ada = demo_staff["ada.admin"]
    check = staff_check(staff=read_staff(SAMPLE.name, SAMPLE.read_bytes()), by=ada)
    assert (check.count_new, check.count_update, check.count_unchanged, check.error_rows) == (4, 2, 1, 7)
    assert [r.username for r in check.rows if r.action == "new"] == [
        "kwame.asante",
        "lucy.fenwick",
        "deborah.okafor",
        "imogen.hale",
    ]
    assert _errors(check) == {
        9: [
            "Unknown team 'Northmoor East Family Safeguarding Team': add it under Staff and teams, or correct the name"
        ],
        10: ["'grace.oduya@northmoor' is not a valid email address: write it like name@council.gov.uk"],
        11: [
            "Unknown role 'Senior practitioner': use Social worker, Team manager, Service manager, Head of service, "
            "Assistant director, Court liaison officer, Business support, Legal adviser, Read-only oversight, "
            "Administrator (several separated by ;)"
        ],
        12: ["Username dan.moss is on rows 12, 13: give each person one row"],
        13: ["Username dan.moss is on rows 12, 13: give each person one row"],
        14: ["Email address helen.hos@northmoor.example is already used by another member of staff (helen.hos)"],
        15: ["Enter the email address"],
    }
    joe = next(r for r in check.rows if r.username == "joe.hartigan")
    assert joe.changes == [f"Team: {NORTH} → {CENTRAL}"]
    priya = next(r for r in check.rows if r.username == "priya.lakhani")
    assert priya.changes == [
        "Roles: Social worker → Social worker, Team manager",
        "Job title: Senior Social Worker → Deputy Team Manager",
    ]
    assert not User.objects.filter(username="kwame.asante").exists()  # the check writes nothing

    done = staff_import(staff=read_staff(SAMPLE.name, SAMPLE.read_bytes()), by=ada)
    assert (done.created, done.updated, done.unchanged, done.skipped, done.refused) == (4, 2, 1, 7, "")
    kwame = User.objects.get(username="kwame.asante")
    assert kwame.get_full_name() == "Kwame Asante" and str(kwame.team).startswith("Northmoor South")
    assert kwame.roles == {Role.SOCIAL_WORKER} and kwame.oidc_subject == "3f6c1a9e-52b7-4d0c-9e1a-7b2d4c8f0a61"
    assert not kwame.has_usable_password()  # single sign-on, or a password set by IT
    deborah = User.objects.get(username="deborah.okafor")
    assert deborah.team is None and deborah.roles == {Role.COURT_LIAISON_OFFICER, Role.BUSINESS_SUPPORT}
    assert User.objects.get(username="imogen.hale").job_title == "Solicitor (Child Care), Legal Services"
    assert str(User.objects.get(username="joe.hartigan").team) == CENTRAL
    priya_user = User.objects.get(username="priya.lakhani")
    assert priya_user.roles == {Role.SOCIAL_WORKER, Role.TEAM_MANAGER}
    assert priya_user in Team.objects.get(name=NORTH).managers.all()  # a team manager manages their team
    for name in ("ravi.menon", "grace.oduya", "tom.birch", "dan.moss", "helen.carrow", "ellie.ward"):
        assert not User.objects.filter(username=name).exists()
    # Every change is audited under the administrator, with where it came from.
    events = Events.objects.references(kwame).filter(pgh_label="insert")
    assert events.exists()
    assert {(e.pgh_context["user"], e.pgh_context["source"]) for e in events} == {(ada.pk, "staff import")}
    from accounts.models import UserRoleEvent  # type: ignore[attr-defined]  # made by pghistory at run time

    role_events = UserRoleEvent.objects.filter(user=deborah).select_related("pgh_context")
    assert {e.pgh_context.metadata["user"] for e in role_events} == {ada.pk}


def test_importing_the_same_file_again_changes_nothing(demo_staff):
    ada = demo_staff["ada.admin"]
    staff_import(staff=read_staff(SAMPLE.name, SAMPLE.read_bytes()), by=ada)
    audit_rows = Events.objects.count()
    again = staff_import(staff=read_staff(SAMPLE.name, SAMPLE.read_bytes()), by=ada)
    assert (again.created, again.updated, again.unchanged, again.skipped) == (0, 0, 7, 7)
    assert Events.objects.count() == audit_rows  # not one change written


def test_an_updated_file_updates_name_email_team_and_roles(demo_staff):
    ada = demo_staff["ada.admin"]
    staff_import(
        staff=_sheet(HEADER + f"kwame.asante,Kwame Asante,kwame@northmoor.example,{NORTH},Social worker\n"), by=ada
    )
    done = staff_import(
        staff=_sheet(
            HEADER
            + f"kwame.asante,Kwame Asante-Boateng,k.asante@northmoor.example,{CENTRAL},Team manager|Social worker\n"
        ),
        by=ada,
    )
    assert (done.created, done.updated) == (0, 1)
    assert done.check.rows[0].changes == [
        "Name: Kwame Asante → Kwame Asante-Boateng",
        "Email: kwame@northmoor.example → k.asante@northmoor.example",
        f"Team: {NORTH} → {CENTRAL}",
        "Roles: Social worker → Social worker, Team manager",
    ]
    kwame = User.objects.get(username="kwame.asante")
    assert (kwame.last_name, kwame.email, str(kwame.team)) == ("Asante-Boateng", "k.asante@northmoor.example", CENTRAL)
    assert kwame.roles == {Role.SOCIAL_WORKER, Role.TEAM_MANAGER}


def test_a_row_refused_when_saved_undoes_the_whole_import(demo_staff, monkeypatch):
    """All or nothing: the third person is refused by the staff service after two were created."""
    ada = demo_staff["ada.admin"]
    real_update = staff_import_module.staff_services.staff_update

    def refuse_joe(**kwargs):
        if kwargs["user"].username == "joe.hartigan":
            raise ValidationError({"email": ["Someone already has this email address"]})
        return real_update(**kwargs)

    monkeypatch.setattr(staff_import_module.staff_services, "staff_update", refuse_joe)
    rows = (
        f"new.one,New One,new.one@northmoor.example,{NORTH},Social worker\n"
        f"new.two,New Two,new.two@northmoor.example,{NORTH},Social worker\n"
        f"joe.hartigan,Joe Hartigan,joe.hartigan@northmoor.example,{CENTRAL},Social worker\n"
    )
    done = staff_import(staff=_sheet(HEADER + rows), by=ada)
    assert done.refused == "saved" and (done.created, done.updated) == (0, 0)
    assert done.check.rows[2].errors == ["Refused when saved: Someone already has this email address"]
    assert not User.objects.filter(username__in=["new.one", "new.two"]).exists()
    assert str(User.objects.get(username="joe.hartigan").team) == NORTH


def test_what_is_imported_is_what_the_preview_showed(demo_staff):
    """All or nothing: someone takes an email address between the preview and "Import"."""
    ada = demo_staff["ada.admin"]
    sheet = _sheet(
        HEADER
        + f"new.one,New One,new.one@northmoor.example,{NORTH},Social worker\n"
        + f"new.two,New Two,new.two@northmoor.example,{NORTH},Social worker\n"
    )
    plan = staff_check(staff=sheet, by=ada).plan
    User.objects.filter(username="joe.hartigan").update(email="new.two@northmoor.example")
    done = staff_import(staff=sheet, by=ada, expected_plan=plan)
    assert done.refused == "changed" and done.created == 0
    assert not User.objects.filter(username="new.one").exists()
    assert done.check.rows[1].errors == [
        "Email address new.two@northmoor.example is already used by another member of staff (joe.hartigan)"
    ]
    # Checked again, the rest imports.
    done = staff_import(staff=sheet, by=ada, expected_plan=done.check.plan)
    assert (done.created, done.skipped, done.refused) == (1, 1, "")


def test_a_windows_1252_file_from_excel(demo_staff):
    text = HEADER + f"zoe.bronte,Zoë Brontë,zoe.bronte@northmoor.example,{NORTH},Social worker\r\n"
    text += "sian.oneill,Siân O’Neill,sian.oneill@northmoor.example,,Read-only oversight\r\n"  # ’ is 0x92
    done = staff_import(staff=_sheet(text, "cp1252"), by=demo_staff["ada.admin"])
    assert done.created == 2
    assert User.objects.get(username="zoe.bronte").get_full_name() == "Zoë Brontë"
    sian = User.objects.get(username="sian.oneill")
    assert sian.get_full_name() == "Siân O’Neill" and sian.roles == {Role.READ_ONLY}


def test_a_utf8_file_with_a_byte_order_mark_and_first_and_last_name_columns(demo_staff):
    text = "\ufeffUsername;First name;Last name;E-mail;Team;Role\n"
    text += f"aoife.ni,Aoife Ní,Bhriain,aoife@northmoor.example,{NORTH},social_worker\n".replace(",", ";")
    done = staff_import(staff=_sheet(text), by=demo_staff["ada.admin"])
    assert done.created == 1
    aoife = User.objects.get(username="aoife.ni")
    assert (aoife.first_name, aoife.last_name) == ("Aoife Ní", "Bhriain")


def test_switched_off_people_and_the_administrators_own_role(demo_staff):
    ada = demo_staff["ada.admin"]
    User.objects.filter(username="callum.reid").update(is_active=False)
    check = staff_check(
        staff=_sheet(
            HEADER
            + f"callum.reid,Callum Reid,callum.reid@northmoor.example,{NORTH},Social worker\n"
            + "ada.admin,Ada Brightwell,ada.admin@northmoor.example,,Read-only oversight\n"
            + "adam.ad,Adam Kettlewell,adam.ad@northmoor.example,,Assistant director;Administrator\n"
        ),
        by=ada,
    )
    assert _errors(check) == {
        2: [
            "callum.reid is switched off: they keep their history; switch them back on from their page "
            "if they have come back, then import again"
        ],
        3: ["This is you: an import cannot take away your own Administrator role"],
    }
    assert check.rows[2].action == "update"  # another administrator may be made by an import
    staff_import(
        staff=_sheet(HEADER + "ada.admin,Ada Brightwell,ada.admin@northmoor.example,,Read-only oversight\n"), by=ada
    )
    assert User.objects.get(pk=ada.pk).has_role(Role.ADMINISTRATOR)
    assert not User.objects.get(username="callum.reid").is_active  # never switched back on by an import


def test_single_sign_on_ids_must_belong_to_one_person(demo_staff):
    User.objects.filter(username="sam.social").update(oidc_subject="0b7f3c2a-4d1e-4f6a-9c8b-2e5d7a1f9c30")
    check = staff_check(
        staff=_sheet(
            "Username,Name,Email,Team,Roles,Object ID\n"
            + f"new.one,New One,new.one@northmoor.example,{NORTH},Social worker,0B7F3C2A-4D1E-4F6A-9C8B-2E5D7A1F9C30\n"
            + f"new.two,New Two,new.two@northmoor.example,{NORTH},Social worker,abc\n"
            + f"new.three,New Three,new.three@northmoor.example,{NORTH},Social worker,ABC\n"
            + f"sam.social,Sam Whitlock,sam.social@northmoor.example,{NORTH},Social worker,\n"
        ),
        by=demo_staff["ada.admin"],
    )
    assert _errors(check) == {
        2: ["Single sign-on id is already used by another member of staff (sam.social)"],
        3: ["Single sign-on id abc is on rows 3, 4: give each person one row"],
        4: ["Single sign-on id ABC is on rows 3, 4: give each person one row"],
    }
    assert check.rows[3].action == "unchanged"  # a blank id leaves the recorded one alone


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Username,Email,Team,Roles\na,a@x.example,,Administrator\n", "The file has no Name column"),
        ("Name,Email,Team,Roles\nA B,a@x.example,,Administrator\n", "The file has no Username column"),
        ("Username,Name,Email,Roles,Team,Role\n", "Two columns hold Roles: keep one"),
        ("", "The file is empty"),
        ("1,2\n3,4\n", "No header row found: the first rows should name the columns (for example 'Username')"),
    ],
)
def test_a_file_that_is_not_a_staff_list_is_refused_as_a_whole(text, message):
    from imports.parsing import TrackerFileError

    with pytest.raises(TrackerFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _sheet(text)


def test_the_check_takes_a_fixed_number_of_queries(demo_staff, django_assert_num_queries):
    ada = User.objects.get(username="ada.admin")
    rows = "".join(f"p{i},Person {i},p{i}@northmoor.example,{NORTH},Social worker\n" for i in range(200))
    sheet = _sheet(HEADER + rows + f"sam.social,Sam Whitlock,sam.social@northmoor.example,{NORTH},Social worker\n")
    # Everyone (with their team), their roles, and the teams: three queries for 201 rows.
    with django_assert_num_queries(3):
        check = staff_check(staff=sheet, by=ada)
    assert (check.count_new, check.count_unchanged) == (200, 1)

"""factory_boy factories for families, children and parents."""

from __future__ import annotations

import datetime as dt

import factory

from accounts.roles import Role
from accounts.tests.factories import TeamFactory, UserFactory
from cases.models import Child, Family, Person


class FamilyFactory(factory.django.DjangoModelFactory[Family]):
    class Meta:
        model = Family

    reference = factory.Sequence(lambda n: f"PLO-{n:05d}")
    name = factory.Sequence(lambda n: f"Family {n}")
    team = factory.SubFactory(TeamFactory)
    social_worker = factory.SubFactory(UserFactory, roles=[Role.SOCIAL_WORKER], team=factory.SelfAttribute("..team"))
    team_manager = factory.SubFactory(UserFactory, roles=[Role.TEAM_MANAGER], team=factory.SelfAttribute("..team"))


class ChildFactory(factory.django.DjangoModelFactory[Child]):
    class Meta:
        model = Child

    family = factory.SubFactory(FamilyFactory)
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.LazyAttribute(lambda c: c.family.name.split()[0])
    date_of_birth = dt.date(2019, 5, 4)
    gender = "female"
    case_system_id = factory.Sequence(lambda n: f"LL{100000 + n}")


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    family = factory.SubFactory(FamilyFactory)
    full_name = factory.Faker("name", locale="en_GB")
    relationship = "mother"
    address = "1 Mill Lane\nNorthmoor"  # where the letter before proceedings is delivered by hand
    solicitor_firm = "Harbour Lane Solicitors"

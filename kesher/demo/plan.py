"""The demo customers as plain data, drawn from one seed (no database here).

``build_plan(seed=..., size=..., now=...)`` is a pure function: the same arguments give the same
accounts, contacts and relationships, in the same order. Records refer to each other by their
index in the plan, to users by username and to pick-list values by their ``value``; the loader
turns those into rows through the services.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

import phonenumbers
from stdnum import luhn
from stdnum.il import hp, idnr

from kesher.demo import names
from kesher.demo.names import CITIES, City, OrgPattern

__all__ = ["AccountPlan", "ContactPlan", "DemoPlan", "RelationshipPlan", "build_plan"]

ISRAEL = ZoneInfo("Asia/Jerusalem")
MOBILE_PREFIXES = ("050", "052", "053", "054", "055", "058")
BUSINESS_VOIP_PREFIXES = ("072", "073", "077")

# Who sells where: accounts in a region go to its sales people (so the regional managers'
# department scope shows their own region, REQ OR-3 / SA-12); the weights favour the reps.
OWNERS_BY_REGION = {
    "north": (("omer", 5), ("noa", 5), ("samer", 1)),
    "center": (("itay", 5), ("shira", 5), ("david", 2), ("michal", 1), ("moshe", 1)),
}
STATUS_WEIGHTS = (("lead", 12), ("prospect", 18), ("active", 50), ("vip", 7), ("inactive", 13))
SOURCE_WEIGHTS = (
    ("website", 25),
    ("referral", 25),
    ("campaign", 15),
    ("exhibition", 10),
    ("phone", 20),
    ("other", 5),
)
CONTACTS_PER_ORGANIZATION = ((1, 15), (2, 25), (3, 30), (4, 30))

# Every relationship type, and every pairing of accounts and contacts, appears at least once
# (REQ CU-5); the rest are drawn with these weights.
RELATIONSHIP_SHAPES = (
    ("parent", "account", "account", 3),
    ("supplier", "account", "account", 3),
    ("partner", "account", "account", 3),
    ("competitor", "account", "account", 2),
    ("referred", "account", "account", 2),
    ("referred", "contact", "account", 3),
    ("referred", "account", "contact", 1),
    ("referred", "contact", "contact", 1),
    ("works_with", "contact", "contact", 3),
    ("works_with", "contact", "account", 2),
    ("works_with", "account", "contact", 1),
)


@dataclass
class AccountPlan:
    """One customer. ``data`` holds model field values, except ``industry``/``source``/
    ``status`` (pick-list values) and ``owner`` (a username), which the loader resolves."""

    data: dict
    companies: tuple[str, ...]
    tags: tuple[str, ...]
    domain: str = ""
    english: bool = False

    @property
    def is_organization(self) -> bool:
        return self.data["kind"] == "organization"


@dataclass
class ContactPlan:
    """One contact and its links: ``(account index, role at the account, is primary)``."""

    data: dict
    links: list[tuple[int, str, bool]] = field(default_factory=list)
    tags: tuple[str, ...] = ()


@dataclass
class RelationshipPlan:
    """A typed link between two plan records, each named ``("account"|"contact", index)``."""

    type: str
    source: tuple[str, int]
    target: tuple[str, int]
    owner: str
    notes: str = ""


@dataclass
class DemoPlan:
    accounts: list[AccountPlan]
    contacts: list[ContactPlan]
    relationships: list[RelationshipPlan]


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    first_latin: str
    last_latin: str
    female: bool
    english: bool = False

    def title(self, role: tuple[str, str, str]) -> str:
        """The job title as this person writes it: English, or Hebrew in their gender."""
        male, female, english = role
        if self.english:
            return english
        return female if self.female else male


def build_plan(*, seed: int, size: int, now: datetime.datetime) -> DemoPlan:
    """``size`` accounts, about 7/3 as many contacts and half as many relationships.

    Dates (last contact, club membership) are drawn back from ``now``, so a demo loaded today
    has activity in the past year whatever year it is.
    """
    return _Generator(seed, now).plan(size)


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


class _Generator:
    def __init__(self, seed: int, now: datetime.datetime):
        # Demo data, not secrets: a seeded, reproducible generator is the point.
        self.rng = random.Random(seed)  # noqa: S311
        self.now = now.astimezone(ISRAEL)
        self.used_phones: set[str] = set()
        self.used_numbers: set[str] = set()
        self.used_names: set[str] = set()
        self.used_emails: set[str] = set()
        self.names_exhausted: set[str] = set()

    # --- building blocks --------------------------------------------------------------------

    def person(self, *, english: bool = False, female: bool | None = None) -> Person:
        rng = self.rng
        female = rng.random() < 0.5 if female is None else female
        if english:
            first = rng.choice(names.ENGLISH_FEMALE_FIRST if female else names.ENGLISH_MALE_FIRST)
            last = rng.choice(names.ENGLISH_LAST)
            return Person(first, last, first.lower(), last.lower(), female, english=True)
        first, first_latin = rng.choice(names.FEMALE_FIRST if female else names.MALE_FIRST)
        last, last_latin = rng.choice(names.FAMILY_NAMES)
        return Person(first, last, first_latin, last_latin, female)

    def _unique_phone(self, make) -> str:
        """A valid Israeli number not used before, typed the way people type it."""
        while True:
            national = make()
            number = phonenumbers.parse(national, "IL")
            if phonenumbers.is_valid_number(number) and national not in self.used_phones:
                self.used_phones.add(national)
                return self._as_typed(national)

    def _as_typed(self, national: str) -> str:
        # Mixed formats on purpose: the phone field stores them all as E.164 (REQ CX-3).
        area_length = 3 if national.startswith("05") or national[:3] in ("072", "073", "077") else 2
        area, rest = national[:area_length], national[area_length:]
        style = self.rng.randrange(5)
        if style == 0:
            return national
        if style == 1 and len(rest) == 7:
            return f"{area}-{rest[:3]}-{rest[3:]}"
        if style == 2:
            return f"+972 {area[1:]}-{rest}"
        return f"{area}-{rest}"

    def mobile(self) -> str:
        rng = self.rng
        return self._unique_phone(
            lambda: (
                rng.choice(MOBILE_PREFIXES) + str(rng.randint(2, 9)) + f"{rng.randrange(10**6):06d}"
            )
        )

    def landline(self, city: City) -> str:
        rng = self.rng
        area = rng.choice(BUSINESS_VOIP_PREFIXES) if rng.random() < 0.1 else city.area_code
        return self._unique_phone(
            lambda: area + str(rng.randint(2, 9)) + f"{rng.randrange(10**6):06d}"
        )

    def _check_digit_number(self, prefix: str, module) -> str:
        while True:
            body = prefix + "".join(str(self.rng.randrange(10)) for _ in range(8 - len(prefix)))
            number = body + luhn.calc_check_digit(body)
            if module.is_valid(number) and number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def israeli_id(self) -> str:
        """A teudat zehut with a correct check digit (python-stdnum ``il.idnr``)."""
        return self._check_digit_number(str(self.rng.choice((0, 2, 3))), idnr)

    def company_number(self, prefix: str) -> str:
        """A company number (ח.פ.) with a correct check digit (python-stdnum ``il.hp``)."""
        return self._check_digit_number(prefix, hp)

    def email(self, local: str, domain: str) -> str:
        candidate, n = f"{local}@{domain}", 1
        while candidate in self.used_emails:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.used_emails.add(candidate)
        return candidate

    def personal_email(self, person: Person) -> str:
        rng = self.rng
        local = rng.choice(
            (
                f"{person.first_latin}.{person.last_latin}",
                f"{person.first_latin}{person.last_latin}{rng.randint(60, 99)}",
                f"{person.first_latin[0]}{person.last_latin}",
            )
        )
        return self.email(local, rng.choice(names.PERSONAL_EMAIL_DOMAINS))

    def work_email(self, person: Person, domain: str) -> str:
        local = self.rng.choice(
            (
                person.first_latin,
                f"{person.first_latin}.{person.last_latin}",
                f"{person.first_latin[0]}{person.last_latin}",
            )
        )
        return self.email(local, domain)

    def city(self) -> City:
        return _weighted(self.rng, [(c, c.weight) for c in CITIES])

    def address(self, city: City) -> dict:
        rng = self.rng
        return {
            "street": f"{rng.choice(city.streets)} {rng.randint(1, 120)}",
            "city": city.name,
            "zip_code": city.zip_prefix + f"{rng.randrange(10**5):05d}",
        }

    def past_moment(self, *, min_days: int, max_days: int) -> datetime.datetime:
        """A working-hours moment (Sunday–Thursday, 08:00–18:00 in Israel) in that range."""
        rng = self.rng
        day = self.now.date() - datetime.timedelta(days=rng.randint(min_days, max_days))
        clock = datetime.time(rng.randint(8, 17), rng.choice((0, 10, 15, 20, 30, 40, 45, 50)))
        moment = datetime.datetime.combine(day, clock, tzinfo=ISRAEL)
        # Back to the last working day (Friday and Saturday are off), and never into the
        # future: today's working hours may still be ahead.
        while moment > self.now or moment.weekday() in (4, 5):
            moment -= datetime.timedelta(days=1)
        return moment

    def owner(self, city: City, *, english: bool) -> str:
        if english and city.region == "center" and self.rng.random() < 0.7:
            return "david"
        return _weighted(self.rng, OWNERS_BY_REGION[city.region])

    def companies(self) -> tuple[str, ...]:
        # Some customers buy from both legal entities (REQ OR-4).
        roll = self.rng.random()
        if roll < 0.6:
            return ("solutions",)
        if roll < 0.85:
            return ("support",)
        return ("solutions", "support")

    def tags(self, chance: float) -> tuple[str, ...]:
        if self.rng.random() >= chance:
            return ()
        return tuple(self.rng.sample(names.TAGS, self.rng.choice((1, 1, 2))))

    def last_contact(self, status: str) -> datetime.datetime | None:
        rng = self.rng
        if status == "lead" and rng.random() < 0.5:
            return None
        if status == "inactive":
            return self.past_moment(min_days=150, max_days=365)
        if status in ("active", "vip"):
            return self.past_moment(min_days=0, max_days=rng.choice((14, 45, 120, 365)))
        return self.past_moment(min_days=0, max_days=240)

    # --- accounts ---------------------------------------------------------------------------

    def unique_name(self, kind: str, make) -> tuple:
        """``make()``'s result whose first item (a name) is new. A very large demo runs out of
        new names of a kind; from then on that kind repeats names, as real data does."""
        for _attempt in range(1 if kind in self.names_exhausted else 50):
            made = make()
            if made[0] not in self.used_names:
                break
        else:
            self.names_exhausted.add(kind)
        self.used_names.add(made[0])
        return made

    def organization_name(self) -> tuple[str, str, str, str | None, tuple, bool]:
        """(name, web domain, industry, company-number prefix, head roles, English?)."""
        rng = self.rng
        if rng.random() < 0.08:
            first, second = rng.choice(names.ENGLISH_ORG_WORDS)
            kind, industry = rng.choice(names.ENGLISH_ORG_KINDS)
            slug = f"{first}{second}-{kind.split()[0]}".lower()
            return (f"{first} {second} {kind}", f"{slug}.example", industry, "51", (), True)
        pattern: OrgPattern = _weighted(rng, [(p, p.weight) for p in names.ORG_PATTERNS])
        (family, family_l), (family2, family2_l) = rng.sample(names.FAMILY_NAMES, 2)
        brand, brand_l = rng.choice(names.BRANDS)
        council, council_l = rng.choice(names.REGIONAL_COUNCILS)
        words = {"family": family, "family2": family2, "brand": brand, "council": council}
        latin = {"family": family_l, "family2": family2_l, "brand": brand_l, "council": council_l}
        domain = pattern.slug.format(**latin) + ".example"
        return (
            pattern.name.format(**words),
            domain,
            pattern.industry,
            pattern.number_prefix,
            pattern.head_roles,
            False,
        )

    def organization(self) -> tuple[AccountPlan, tuple]:
        rng = self.rng
        name, domain, industry, prefix, head_roles, english = self.unique_name(
            "organization", self.organization_name
        )
        city = self.city()
        status = _weighted(rng, STATUS_WEIGHTS)
        data = {
            "kind": "organization",
            "name": name,
            "company_number": self.company_number(prefix) if prefix and rng.random() < 0.9 else "",
            "phone": self.landline(city),
            "mobile": self.mobile() if rng.random() < 0.25 else "",
            "email": self.email(rng.choice(("info", "office", "contact", "sales")), domain)
            if rng.random() < 0.9
            else "",
            "website": f"https://www.{domain}" if rng.random() < 0.6 else "",
            **self.address(city),
            "industry": industry,
            "source": _weighted(rng, SOURCE_WEIGHTS),
            "status": status,
            "owner": self.owner(city, english=english),
            "last_contact_at": self.last_contact(status),
            "notes": rng.choice(names.ACCOUNT_NOTES[:-1]) if rng.random() < 0.2 else "",
        }
        if english:
            data["notes"] = names.ACCOUNT_NOTES[-1]
        # Small businesses join the customer club too (REQ CU-11).
        if prefix is None and rng.random() < 0.4:
            data["club_member"] = True
            data["club_joined_on"] = self.past_moment(min_days=30, max_days=1000).date()
        tags = self.tags(0.3)
        if english and "דובר אנגלית" not in tags:
            tags = (*tags, "דובר אנגלית")
        plan = AccountPlan(data, self.companies(), tags, domain=domain, english=english)
        return plan, head_roles

    def private_person(self) -> tuple[AccountPlan, Person]:
        rng = self.rng
        english = rng.random() < 0.07
        person = self.unique_name("person", lambda: self._named_person(english))[1]
        city = self.city()
        status = _weighted(rng, STATUS_WEIGHTS)
        data = {
            "kind": "person",
            "name": f"{person.first} {person.last}",
            "israeli_id": self.israeli_id() if rng.random() < 0.8 else "",
            "phone": self.landline(city) if rng.random() < 0.2 else "",
            "mobile": self.mobile(),
            "email": self.personal_email(person) if rng.random() < 0.7 else "",
            **self.address(city),
            "source": _weighted(rng, SOURCE_WEIGHTS),
            "status": status,
            "owner": self.owner(city, english=english),
            "last_contact_at": self.last_contact(status),
        }
        if rng.random() < 0.45:
            data["club_member"] = True
            data["club_joined_on"] = self.past_moment(min_days=10, max_days=1100).date()
        return AccountPlan(data, self.companies(), self.tags(0.15), english=english), person

    def _named_person(self, english: bool) -> tuple[str, Person]:
        person = self.person(english=english)
        return f"{person.first} {person.last}", person

    # --- contacts ---------------------------------------------------------------------------

    def contact(self, person: Person, *, account: AccountPlan | None, role: str, owner: str):
        rng = self.rng
        domain = account.domain if account is not None and account.is_organization else ""
        city = account.data["city"] if account is not None and rng.random() < 0.8 else ""
        data = {
            "first_name": person.first,
            "last_name": person.last,
            "title": role,
            "mobile": self.mobile() if rng.random() < 0.9 else "",
            "phone": self.landline(self.city()) if domain and rng.random() < 0.35 else "",
            "email": (self.work_email(person, domain) if domain else self.personal_email(person))
            if rng.random() < 0.85
            else "",
            "israeli_id": self.israeli_id() if rng.random() < 0.1 else "",
            "city": city or self.city().name,
            "owner": owner,
            "last_contact_at": self.past_moment(min_days=0, max_days=365)
            if rng.random() < 0.6
            else None,
            "notes": rng.choice(names.CONTACT_NOTES) if rng.random() < 0.12 else "",
        }
        if rng.random() < 0.25:
            data["birthday"] = datetime.date(
                rng.randint(1958, 2000), rng.randint(1, 12), rng.randint(1, 28)
            )
        return ContactPlan(data, tags=self.tags(0.08))

    def organization_staff(self, index: int, account: AccountPlan, head_roles: tuple) -> list:
        rng = self.rng
        count = _weighted(rng, CONTACTS_PER_ORGANIZATION)
        roles = rng.sample(names.GENERAL_ROLES, count)
        staff = []
        for position in range(count):
            person = self.person(english=account.english and rng.random() < 0.7)
            head = position == 0 and head_roles
            role = person.title(rng.choice(head_roles) if head else roles[position])
            contact = self.contact(person, account=account, role=role, owner=account.data["owner"])
            contact.links.append((index, role, position == 0))
            staff.append(contact)
        return staff

    # --- relationships ----------------------------------------------------------------------

    def relationships(self, plan: DemoPlan, count: int) -> list[RelationshipPlan]:
        rng = self.rng
        organizations = [i for i, a in enumerate(plan.accounts) if a.is_organization]
        pools = {"account": range(len(plan.accounts)), "contact": range(len(plan.contacts))}
        if len(organizations) < 2 or not plan.contacts:
            return []
        related: set[tuple] = set()
        shapes = list(RELATIONSHIP_SHAPES[:count])
        shapes += [
            _weighted(rng, [(s, s[3]) for s in RELATIONSHIP_SHAPES])
            for _ in range(count - len(shapes))
        ]
        result = []
        for type_, source_kind, target_kind, _weight in shapes:
            for _attempt in range(20):
                if source_kind == target_kind == "account" and type_ != "referred":
                    source = ("account", rng.choice(organizations))
                    candidates = organizations
                    if type_ == "competitor":
                        industry = plan.accounts[source[1]].data["industry"]
                        candidates = [
                            i
                            for i in organizations
                            if plan.accounts[i].data["industry"] == industry
                        ]
                    target = ("account", rng.choice(candidates))
                else:
                    source = (source_kind, rng.choice(pools[source_kind]))
                    target = (target_kind, rng.choice(pools[target_kind]))
                pair = tuple(sorted((source, target)))
                if source != target and pair not in related:
                    break
            else:
                continue
            related.add(pair)
            owner = self._record(plan, source).data["owner"]
            notes = names.RELATIONSHIP_NOTES[type_] if rng.random() < 0.3 else ""
            result.append(RelationshipPlan(type_, source, target, owner, notes))
        return result

    @staticmethod
    def _record(plan: DemoPlan, ref: tuple[str, int]):
        kind, index = ref
        return plan.accounts[index] if kind == "account" else plan.contacts[index]

    # --- the whole plan ---------------------------------------------------------------------

    def plan(self, size: int) -> DemoPlan:
        rng = self.rng
        organizations = round(size * 0.75)
        kinds = ["organization"] * organizations + ["person"] * (size - organizations)
        rng.shuffle(kinds)
        plan = DemoPlan([], [], [])
        people: list[tuple[int, Person]] = []
        for kind in kinds:
            index = len(plan.accounts)
            if kind == "organization":
                account, head_roles = self.organization()
                plan.accounts.append(account)
                plan.contacts += self.organization_staff(index, account, head_roles)
            else:
                account, person = self.private_person()
                plan.accounts.append(account)
                people.append((index, person))
        self.add_external_contacts(plan, count=max(1, size // 20))
        self.add_family_and_unlinked(plan, people, target=round(size * 7 / 3))
        plan.relationships = self.relationships(plan, count=size // 2)
        return plan

    def add_external_contacts(self, plan: DemoPlan, *, count: int) -> None:
        """Accountants and consultants who serve two customers (REQ CU-2)."""
        rng = self.rng
        organizations = [i for i, a in enumerate(plan.accounts) if a.is_organization]
        if len(organizations) < 2:
            return
        for _ in range(count):
            first, second = rng.sample(organizations, 2)
            person = self.person()
            role = person.title(rng.choice(names.EXTERNAL_ROLES))
            owner = plan.accounts[first].data["owner"]
            contact = self.contact(person, account=None, role=role, owner=owner)
            contact.links += [(first, role, False), (second, role, False)]
            plan.contacts.append(contact)

    def add_family_and_unlinked(self, plan: DemoPlan, people, *, target: int) -> None:
        """Spouses of private customers, then people met at exhibitions with no account yet."""
        rng = self.rng
        for index, customer in people:
            if len(plan.contacts) >= target or rng.random() >= 0.3:
                continue
            spouse = self.person(english=customer.english, female=not customer.female)
            spouse = replace(spouse, last=customer.last, last_latin=customer.last_latin)
            role = spouse.title(names.SPOUSE_ROLE)
            account = plan.accounts[index]
            contact = self.contact(spouse, account=account, role="", owner=account.data["owner"])
            contact.links.append((index, role, False))
            plan.contacts.append(contact)
        while len(plan.contacts) < target:
            city = self.city()
            person = self.person()
            owner = self.owner(city, english=False)
            contact = self.contact(person, account=None, role="", owner=owner)
            contact.data["city"] = city.name
            contact.data["notes"] = "נפגשנו בתערוכה, עדיין בלי חברה במערכת."
            plan.contacts.append(contact)

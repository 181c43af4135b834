"""The reference data set (DESIGN.md "Targets"): accounts, contacts, their links and search tokens.

Deterministic by seed, sized by arguments, and fast: rows are made in chunks and written with
``executemany`` in large transactions on SQLite (journal off, foreign-key checks off) and with
``COPY`` on PostgreSQL (triggers off); secondary indexes are dropped first and rebuilt once at
the end, then the tables are analyzed. It writes with bare SQL on purpose — a bulk load of a
fresh, empty benchmark database, not application writes — and the tokens are computed with
search.py's own ``words``/``phone_tokens``, so the index is the one ``index_record`` would
write (tests/test_bench_smoke.py checks that).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from django.db import connection, transaction
from stdnum import luhn

from bench import vocabulary as vocab

__all__ = ["GENERATOR_VERSION", "Plan", "dataset_info", "generate", "record_tokens"]

# Bump when the generated data changes, so `run` regenerates an older data set.
GENERATOR_VERSION = 2
CHUNK = 20_000
MARKER_TABLE = "bench_dataset"
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
SPAN_SECONDS = int(timedelta(days=5 * 365).total_seconds())
MEETING_START = date(2026, 1, 1)


@dataclass(frozen=True)
class Plan:
    """How much to make: sizes and the random seed."""

    contacts: int = 1_000_000
    accounts: int = 200_000
    owners: int = 50
    seed: int = 1


# --- search tokens, computed as search.py does --------------------------------------------------


@lru_cache(maxsize=65_536)
def _words(text: str) -> tuple[str, ...]:
    from kesher.platform.records.search import words

    return tuple(words(text))


def record_tokens(entity, values: dict) -> set[tuple[int, str]]:
    """The (kind, token) pairs of one record, as ``search.index_record`` would store them.

    Mirrors ``search._tokens`` field by field, with the word splitting cached per distinct
    value (names repeat a lot), which makes indexing a million contacts take seconds.
    """
    from kesher.platform.models import SearchToken
    from kesher.platform.records.search import MAX_TOKEN, phone_tokens

    # Plain ints: database drivers may adapt an IntEnum by its name.
    kinds = SearchToken.Kind
    word, email_kind, phone = int(kinds.WORD), int(kinds.EMAIL), int(kinds.PHONE)
    result: set[tuple[int, str]] = set()
    for name in entity.search_words:
        for token in _words(str(values.get(name) or "")):
            result.add((word, token))
    for name in entity.search_emails:
        email = (values.get(name) or "").strip().lower()
        if email:
            result.add((email_kind, email[:MAX_TOKEN]))
    for name in entity.search_phones:
        for token in phone_tokens(values.get(name) or ""):
            result.add((phone, token))
    return result


# --- bulk writing -------------------------------------------------------------------------------


class BulkWriter:
    """Writes tuples into one model's table: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

    ``columns`` are the generated columns; any other column the model has (a field another
    module added since) gets its default, so the generator keeps working as models grow.
    """

    def __init__(self, model, columns: list[str]):
        self.model = model
        self.table = model._meta.db_table
        fields = {f.column: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in fields]
        if unknown:
            raise ValueError(f"{self.table} has no columns {unknown}")
        extra = [
            f for f in model._meta.concrete_fields if f.column not in columns and not f.primary_key
        ]
        self.extra_values = tuple(self._default(f) for f in extra)
        self.columns = [*columns, *(f.column for f in extra)]
        self.rows_written = 0

    @staticmethod
    def _default(field):
        if field.has_default():
            return field.get_db_prep_save(field.get_default(), connection)
        if field.null:
            return None
        if field.blank and field.get_internal_type() in ("CharField", "TextField", "EmailField"):
            return ""
        raise ValueError(f"the generator must fill {field.model.__name__}.{field.name}")

    def write(self, rows: Iterable[tuple]) -> None:
        extra = self.extra_values
        if extra:
            rows = (row + extra for row in rows)
        quoted = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        table = connection.ops.quote_name(self.table)
        raw = connection.connection
        if connection.vendor == "postgresql":
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    self.rows_written += 1
        else:
            marks = ", ".join("?" * len(self.columns))
            counted = self._count(rows)
            raw.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", counted)

    def _count(self, rows: Iterable[tuple]) -> Iterator[tuple]:
        for row in rows:
            self.rows_written += 1
            yield row


def _secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's indexes that no constraint needs."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                """
                SELECT i.relname, pg_get_indexdef(i.oid)
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                WHERE x.indrelid = %s::regclass
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
                """,
                [table],
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL "
                "AND sql NOT LIKE 'CREATE UNIQUE%%'",
                [table],
            )
        return list(cursor.fetchall())


class DeferredIndexes:
    """Drops the secondary indexes of some tables for the load and rebuilds them after."""

    def __init__(self, tables: list[str]):
        self.saved = [(t, name, sql) for t in tables for name, sql in _secondary_indexes(t)]

    def drop(self) -> None:
        with connection.cursor() as cursor:
            for _table, name, _sql in self.saved:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")

    def rebuild(self, log) -> None:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for _table, _name, sql in self.saved:
                cursor.execute(sql)
        log(f"  {len(self.saved)} indexes rebuilt in {time.perf_counter() - started:.1f}s")


def _load_settings(on: bool) -> None:
    """Connection settings for a bulk load of a throw-away database, and back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # "replica" skips foreign-key triggers: the generator's ids are consistent by
            # construction, and checking 2M references one by one would triple the load time.
            role = "replica" if on else "origin"
            cursor.execute(f"SET session_replication_role = {role}")
            memory = "SET maintenance_work_mem = '512MB'" if on else "RESET maintenance_work_mem"
            cursor.execute(memory)
            return
        if on:
            # An interrupted load is thrown away (no marker row), so no journal is needed.
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.execute("PRAGMA cache_size=-1000000")
        else:
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.execute("PRAGMA cache_size=-65536")


# --- values -------------------------------------------------------------------------------------


class Values:
    """Draws field values from one seeded random generator, formatted for the database."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.postgres = connection.vendor == "postgresql"
        self.true, self.false = (True, False) if self.postgres else (1, 0)
        self.empty_json = "{}"
        self.hebrew_last = [(he, la) for he, la, _w in vocab.HEBREW_LAST_NAMES]
        self.hebrew_last_weights = [w for _he, _la, w in vocab.HEBREW_LAST_NAMES]
        self.cities = [c for c, _w in vocab.CITIES]
        self.city_weights = [w for _c, w in vocab.CITIES]
        self.domains = [d for d, _w in vocab.EMAIL_DOMAINS]
        self.domain_weights = [w for _d, w in vocab.EMAIL_DOMAINS]
        self.regions = [value for value, _he, _en, _w in vocab.REGIONS]
        self.region_weights = [w for _v, _he, _en, w in vocab.REGIONS]

    def contact_custom(self) -> str:
        """Custom values as the form would store them: a region for 95% of contacts, the
        next meeting's date for 60%."""
        values = {}
        if self.rng.random() < 0.95:
            values["region"] = self.rng.choices(self.regions, weights=self.region_weights)[0]
        if self.rng.random() < 0.6:
            values["next_meeting"] = (
                MEETING_START + timedelta(days=self.rng.randrange(730))
            ).isoformat()
        return json.dumps(values) if values else self.empty_json

    def timestamp(self, seconds: int) -> str:
        moment = EPOCH + timedelta(seconds=seconds)
        text = moment.strftime("%Y-%m-%d %H:%M:%S")
        return text + "+00" if self.postgres else text

    def timestamps(self, n: int) -> list[str]:
        return [self.timestamp(self.rng.randrange(SPAN_SECONDS)) for _ in range(n)]

    def person_names(self, n: int) -> list[tuple[str, str, str, str]]:
        """(first, last, first in Latin, last in Latin); about 70% Hebrew, 30% English."""
        rng = self.rng
        hebrew = rng.choices((True, False), weights=(7, 3), k=n)
        he_first = rng.choices(vocab.HEBREW_FIRST_NAMES, k=n)
        he_last = rng.choices(self.hebrew_last, weights=self.hebrew_last_weights, k=n)
        en_first = rng.choices(vocab.ENGLISH_FIRST_NAMES, k=n)
        en_last = rng.choices(vocab.ENGLISH_LAST_NAMES, k=n)
        result = []
        for i in range(n):
            if hebrew[i]:
                (first, first_latin), (last, last_latin) = he_first[i], he_last[i]
            else:
                first, last = en_first[i], en_last[i]
                first_latin, last_latin = first.lower(), last.lower().replace("'", "")
            result.append((first, last, first_latin, last_latin))
        return result

    def email(self, local: str) -> str:
        number = self.rng.randrange(1000)
        domain = self.rng.choices(self.domains, weights=self.domain_weights)[0]
        return f"{local}{number}@{domain}"

    def mobile(self) -> str:
        return f"+972{self.rng.choice(vocab.MOBILE_PREFIXES)}{self.rng.randrange(10**7):07d}"

    def landline(self) -> str:
        return f"+972{self.rng.choice(vocab.LANDLINE_PREFIXES)}{self.rng.randrange(10**7):07d}"

    def israeli_id(self) -> str:
        body = f"{self.rng.randrange(10**7, 10**8):08d}"
        return body + luhn.calc_check_digit(body)

    def company_number(self) -> str:
        body = f"51{self.rng.randrange(10**6):06d}"
        return body + luhn.calc_check_digit(body)

    def city_list(self, n: int) -> list[str]:
        return self.rng.choices(self.cities, weights=self.city_weights, k=n)


# --- the load -----------------------------------------------------------------------------------


def _people(plan: Plan, rng: random.Random) -> dict:
    """Departments, the ~50 owners (sales reps), a manager and the administrator."""
    from kesher.org.models import Department, Role, User

    departments = []
    for name in vocab.DEPARTMENTS:
        department = Department.objects.create(name=name)
        department.path = f"/{department.pk}/"
        department.save(update_fields=["path"])
        departments.append(department)
    roles = {r.key: r for r in Role.objects.all()}
    names = Values(rng).person_names(plan.owners)
    users = []
    for i, (first, last, _fl, _ll) in enumerate(names, start=1):
        users.append(
            User(
                username=f"bench_rep{i:03d}",
                first_name=first,
                last_name=last,
                email=f"rep{i}@bench.kesher.test",
                role=roles["sales_rep"],
                department=departments[i % len(departments)],
            )
        )
    users.append(
        User(
            username="bench_manager",
            first_name="מנהלת",
            last_name="מכירות",
            role=roles["manager"],
            department=departments[0],
        )
    )
    users.append(User(username="bench_admin", first_name="מנהל", role=roles["admin"]))
    for user in users:
        # Benchmarks sign in with force_login; nobody can sign in with a password.
        user.set_unusable_password()
    User.objects.bulk_create(users)
    reps = User.objects.filter(username__startswith="bench_rep").order_by("pk")
    owners = list(reps.values_list("pk", flat=True))
    # Some representatives own more customers than others, as in real teams.
    weights = [rng.choice((1, 2, 3)) for _ in owners]
    return {"owners": owners, "owner_weights": weights}


def _choice_ids(list_key: str) -> list[int]:
    from kesher.platform.models import Choice

    values = Choice.objects.filter(list_key=list_key).order_by("pk")
    return list(values.values_list("pk", flat=True))


def _accounts(plan: Plan, values: Values, people: dict, tokens: BulkWriter, log) -> None:
    from kesher.customers.entities import accounts as entity
    from kesher.customers.models import Account

    columns = [
        "id", "created_at", "updated_at", "version", "custom", "kind", "name", "company_number",
        "israeli_id", "phone", "mobile", "email", "website", "street", "city", "zip_code",
        "country", "industry_id", "source_id", "status_id", "owner_id", "club_member",
        "club_joined_on", "last_contact_at", "notes",
    ]  # fmt: skip
    writer = BulkWriter(Account, columns)
    industries, sources = _choice_ids("industry"), _choice_ids("account_source")
    statuses = _choice_ids("account_status")
    rng = values.rng
    for start in range(1, plan.accounts + 1, CHUNK):
        n = min(CHUNK, plan.accounts + 1 - start)
        names = values.person_names(n)
        cities = values.city_list(n)
        created = values.timestamps(n)
        owners = rng.choices(people["owners"], weights=people["owner_weights"], k=n)
        rows, token_rows = [], []
        for i in range(n):
            pk = start + i
            first, last, first_latin, last_latin = names[i]
            person = rng.random() < 0.3
            if person:
                name, kind, latin = f"{first} {last}", "person", f"{first_latin}.{last_latin}"
            else:
                # Hebrew-named firms mostly trade under a Hebrew name, some under a Latin one.
                hebrew_name = first_latin != first.lower()
                if hebrew_name and rng.random() < 0.75:
                    name = f"{last} {rng.choice(vocab.COMPANY_SUFFIXES_HE)}"
                else:
                    latin_last = last_latin.replace("-", " ").title()
                    name = f"{latin_last} {rng.choice(vocab.COMPANY_SUFFIXES_EN)}"
                kind, latin = "organization", last_latin
            slug = f"{latin.replace('.', '')}{pk}"
            record = {
                "name": name,
                "city": cities[i],
                "email": f"info@{slug}.co.il" if not person else values.email(latin),
                "phone": values.landline() if rng.random() < 0.85 else "",
                "mobile": values.mobile() if person or rng.random() < 0.3 else "",
            }
            club = person and rng.random() < 0.2
            rows.append(
                (
                    pk, created[i], created[i], 1, values.empty_json, kind, name,
                    "" if person else values.company_number(),
                    values.israeli_id() if person else "",
                    record["phone"], record["mobile"], record["email"],
                    "" if person else f"https://www.{slug}.co.il",
                    f"{rng.choice(vocab.STREETS)} {rng.randrange(1, 200)}", cities[i],
                    f"{rng.randrange(10**6, 10**7)}", "ישראל",
                    rng.choice(industries) if industries and not person else None,
                    rng.choice(sources) if sources else None,
                    rng.choice(statuses) if statuses else None,
                    owners[i], values.true if club else values.false,
                    created[i][:10] if club else None,
                    values.timestamp(rng.randrange(SPAN_SECONDS)) if rng.random() < 0.6 else None,
                    "",
                )
            )  # fmt: skip
            token_rows.extend(
                ("accounts", pk, kind_, token) for kind_, token in record_tokens(entity, record)
            )
        with transaction.atomic():
            writer.write(rows)
            tokens.write(token_rows)
    log(f"  accounts: {writer.rows_written:,}")


def _contacts(plan: Plan, values: Values, people: dict, tokens: BulkWriter, log) -> None:
    from kesher.customers.entities import contacts as entity
    from kesher.customers.models import Contact, ContactAccount

    columns = [
        "id", "created_at", "updated_at", "version", "custom", "first_name", "last_name",
        "title", "email", "phone", "mobile", "israeli_id", "city", "birthday", "owner_id",
        "last_contact_at", "notes",
    ]  # fmt: skip
    writer = BulkWriter(Contact, columns)
    links = BulkWriter(ContactAccount, ["contact_id", "account_id", "role", "is_primary"])
    rng = values.rng
    roles = [t for t in vocab.TITLES if t]
    for start in range(1, plan.contacts + 1, CHUNK):
        n = min(CHUNK, plan.contacts + 1 - start)
        names = values.person_names(n)
        cities = values.city_list(n)
        created = values.timestamps(n)
        owners = rng.choices(people["owners"], weights=people["owner_weights"], k=n)
        rows, token_rows, link_rows = [], [], []
        for i in range(n):
            pk = start + i
            first, last, first_latin, last_latin = names[i]
            record = {
                "first_name": first,
                "last_name": last,
                "email": values.email(f"{first_latin}.{last_latin}") if rng.random() < 0.9 else "",
                "phone": values.landline() if rng.random() < 0.4 else "",
                "mobile": values.mobile() if rng.random() < 0.9 else "",
            }
            birthday = (
                f"{rng.randrange(1950, 2004)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
                if rng.random() < 0.3
                else None
            )
            rows.append(
                (
                    pk, created[i], created[i], 1, values.contact_custom(), first, last,
                    rng.choice(vocab.TITLES), record["email"], record["phone"], record["mobile"],
                    values.israeli_id() if rng.random() < 0.3 else "", cities[i], birthday,
                    owners[i],
                    values.timestamp(rng.randrange(SPAN_SECONDS)) if rng.random() < 0.5 else None,
                    "",
                )
            )  # fmt: skip
            token_rows.extend(
                ("contacts", pk, kind_, token) for kind_, token in record_tokens(entity, record)
            )
            draw = rng.random()
            if plan.accounts and draw < 0.87:
                first_account = rng.randrange(1, plan.accounts + 1)
                link_rows.append((pk, first_account, rng.choice(roles), values.true))
                if draw < 0.12 and plan.accounts > 1:
                    second = first_account % plan.accounts + 1
                    link_rows.append((pk, second, rng.choice(roles), values.false))
        with transaction.atomic():
            writer.write(rows)
            links.write(link_rows)
            tokens.write(token_rows)
    log(f"  contacts: {writer.rows_written:,}, account links: {links.rows_written:,}")


def _custom_fields(log) -> None:
    """The contacts' custom fields the generator filled, defined as an administrator would,
    both marked "indexed" so their expression indexes exist (REQ CX-1)."""
    from kesher.org.models import User
    from kesher.platform.customfields.schema import custom_field_create, ensure_index
    from kesher.platform.models import Choice

    admin = User.objects.get(username="bench_admin")
    Choice.objects.bulk_create(
        Choice(list_key="region", value=value, label_he=he, label_en=en, order=order)
        for order, (value, he, en, _w) in enumerate(vocab.REGIONS)
    )
    fields = [
        {"key": "region", "label_he": "אזור", "label_en": "Region", "type": "choice",
         "choice_list": "region"},
        {"key": "next_meeting", "label_he": "הפגישה הבאה", "label_en": "Next meeting",
         "type": "date"},
    ]  # fmt: skip
    started = time.perf_counter()
    for data in fields:
        with transaction.atomic():
            field = custom_field_create(
                actor=admin, data={"entity": "contacts", "indexed": True, **data}
            )
        ensure_index(field)  # idempotent; on_commit already made it outside the test suite
    log(f"  custom fields and their indexes in {time.perf_counter() - started:.1f}s")


def _reset_sequences(models: list) -> None:
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _analyze(tables: list[str]) -> None:
    """Planner statistics, as autovacuum (PostgreSQL) or ``PRAGMA optimize`` (SQLite) keep;
    on PostgreSQL also the visibility map a vacuum sets, without which counts cannot be
    answered from an index alone."""
    command = "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {connection.ops.quote_name(table)}")


def generate(plan: Plan, *, log: Callable[[str], None] = print) -> dict:
    """Fill the (migrated, empty) benchmark database; returns the timings of each step."""
    from kesher.customers.models import Account, Contact, ContactAccount
    from kesher.platform.models import SearchToken

    rng = random.Random(plan.seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    models = [Account, Contact, ContactAccount, SearchToken]
    tables = [m._meta.db_table for m in models]
    people = _people(plan, rng)
    values = Values(rng)
    deferred = DeferredIndexes(tables)
    _load_settings(on=True)
    try:
        deferred.drop()
        tokens = BulkWriter(SearchToken, ["entity", "object_id", "kind", "token"])
        step = time.perf_counter()
        _accounts(plan, values, people, tokens, log)
        timings["accounts_s"] = round(time.perf_counter() - step, 2)
        step = time.perf_counter()
        _contacts(plan, values, people, tokens, log)
        timings["contacts_s"] = round(time.perf_counter() - step, 2)
        log(f"  search tokens: {tokens.rows_written:,}")
        step = time.perf_counter()
        deferred.rebuild(log)
        _custom_fields(log)
        timings["indexes_s"] = round(time.perf_counter() - step, 2)
    finally:
        _load_settings(on=False)
    _reset_sequences([Account, Contact, ContactAccount, SearchToken])
    step = time.perf_counter()
    _analyze(tables)
    timings["analyze_s"] = round(time.perf_counter() - step, 2)
    timings["total_s"] = round(time.perf_counter() - started, 2)
    counts = {
        "accounts": plan.accounts,
        "contacts": plan.contacts,
        "contact_links": ContactAccount.objects.count(),
        "search_tokens": tokens.rows_written,
    }
    _write_marker({"plan": asdict(plan), "version": GENERATOR_VERSION, "counts": counts,
                   "timings": timings})  # fmt: skip
    return {"counts": counts, "timings": timings}


def _write_marker(info: dict) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (name varchar(40) PRIMARY KEY, value text)"
        )
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (name, value) VALUES (%s, %s)",
            ["dataset", json.dumps(info)],
        )


def dataset_info() -> dict | None:
    """What the benchmark database holds (None when it was never fully generated)."""
    if MARKER_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {MARKER_TABLE} WHERE name = %s", ["dataset"])
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None

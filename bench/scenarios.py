"""The figures: the contact list (page and API) and the global search, over the data set.

Every list figure is a real request through Django's test client — middleware, session, the
generic list view or the API viewset, templates — as a signed-in user; its floor is the SQL
that request ran against the contacts table, replayed bare. Search figures call
``kesher.platform.records.search.search`` and replay all of its SQL as the floor.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.db.models.lookups import IsNull
from django.test import Client

from bench.timing import Capture, Figure, capture_queries, measure, replay

__all__ = ["run_all"]

LIST_TARGET_MS = 50.0
SEARCH_TARGET_MS = 100.0
PAGE_SIZE = 50
DEEP_PAGE = 2000


@dataclass
class Scenario:
    key: str
    group: str
    description: str
    target_ms: float | None
    call: Callable[[], object]
    # Which captured statements form the floor: all of them, or those reading this table.
    floor_table: str | None
    floor_description: str
    # A floor of its own instead of the captured SQL replayed: (call, its SQL for the report).
    floor: tuple[Callable[[], object], list[tuple[str, tuple]]] | None = None


def _explain(sql: str, params: tuple) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (COSTS OFF) " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _context() -> dict:
    """Users and values the scenarios filter and search by, read from the data set."""
    from django.db.models import Count

    from kesher.customers.models import Contact
    from kesher.org.models import User

    admin = User.objects.get(username="bench_admin")
    manager = User.objects.get(username="bench_manager")
    city = (Contact.objects.values("city").annotate(n=Count("id")).order_by("-n", "city").first())[
        "city"
    ]
    owner = User.objects.filter(username__startswith="bench_rep").order_by("pk").first()
    middle = Contact.objects.count() // 2
    with_both = Contact.objects.exclude(mobile="").exclude(email="").order_by("pk")
    sample = with_both.filter(pk__gte=middle).first() or with_both.first()
    return {
        "admin": admin,
        "manager": manager,
        "city": city,
        "city_rows": Contact.objects.filter(city=city).count(),
        "all_rows": Contact.objects.count(),
        "owner": owner,
        "sample": sample,
    }


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client: Client, url: str, *, api: bool = False):
    def call():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        if api:
            if not response.json()["results"]:
                raise RuntimeError(f"GET {url} returned no rows")
        elif b"/r/contacts/" not in response.content:
            raise RuntimeError(f"GET {url} listed no contacts")
        return response

    return call


def _deep_cursor(user, params: dict, page: int) -> str | None:
    """The cursor the list's own "next" links would carry on reaching ``page``."""
    try:
        from kesher.platform.lists.keyset import Keyset
    except ImportError:
        return None
    from django.test import RequestFactory

    from kesher.platform.lists.tables import Table
    from kesher.platform.registry import registry

    request = RequestFactory().get("/r/contacts/", params)
    request.user = user
    table = Table(registry.get("contacts"), request)
    queryset = table.queryset()
    keyset = Keyset.for_ordering(queryset.model, queryset.query.order_by)
    if keyset is None:
        return None
    last_of_previous = queryset[(page - 1) * PAGE_SIZE - 1]
    return keyset.cursor(last_of_previous)


def _list_scenarios(ctx: dict) -> list[Scenario]:
    admin_client = _client(ctx["admin"])
    city, owner = ctx["city"], ctx["owner"].pk
    city_page = max(2, min(DEEP_PAGE, ctx["city_rows"] // PAGE_SIZE))
    all_page = max(2, min(DEEP_PAGE, ctx["all_rows"] // PAGE_SIZE))
    filtered = {"city": city, "owner": owner, "sort": "last_name"}
    by_city = {"city": city, "sort": "last_name"}
    everyone = {"sort": "last_name"}
    table = "customers_contact"
    floor = "the request's SQL on customers_contact, replayed bare"
    # A search box's figures: the search index's statements are most of their SQL.
    whole_floor = "all of the request's SQL (search index included), replayed bare"
    result = []

    def page(key, description, params, client=admin_client, target=LIST_TARGET_MS, whole=False):
        url = "/r/contacts/?" + urlencode(params)
        call = _get(client, url)
        on = (None, whole_floor) if whole else (table, floor)
        result.append(Scenario(key, "list", description, target, call, *on))

    def api(key, description, params, target=LIST_TARGET_MS, whole=False):
        url = "/api/v1/contacts/?" + urlencode(params)
        call = _get(admin_client, url, api=True)
        on = (None, whole_floor) if whole else (table, floor)
        result.append(Scenario(key, "api", description, target, call, *on))

    page("list.city_owner.page1", f"city={city} & owner, sorted by last name, page 1", filtered)
    page("list.city.page1", f"city={city}, sorted by last name, page 1", by_city)
    page(
        f"list.city.page{city_page}.typed",
        f"city={city}, by last name, page {city_page} by typed page number (sought from the "
        "sort index)",
        {**by_city, "page": city_page},
    )
    cursor = _deep_cursor(ctx["admin"], by_city, city_page)
    if cursor:
        page(
            f"list.city.page{city_page}.cursor",
            f"city={city}, by last name, page {city_page} through the next-page link (keyset)",
            {**by_city, "page": city_page, "cursor": cursor},
        )
    page("list.all.page1", "all contacts, sorted by last name, page 1", everyone)
    page(
        f"list.all.page{all_page}.typed",
        f"all contacts, by last name, page {all_page} by typed page number (sought from the "
        "sort index)",
        {**everyone, "page": all_page},
    )
    cursor = _deep_cursor(ctx["admin"], everyone, all_page)
    if cursor:
        page(
            f"list.all.page{all_page}.cursor",
            f"all contacts, by last name, page {all_page} through the next-page link (keyset)",
            {**everyone, "page": all_page, "cursor": cursor},
        )
    page(
        "list.manager_scope.page1",
        "as a manager (department scope), all visible contacts by last name, page 1",
        everyone,
        client=_client(ctx["manager"]),
    )
    api_filter = {"city": city, "owner": owner, "ordering": "last_name"}
    api("api.city_owner.page1", "API: city & owner, ordering=last_name, page 1", api_filter)
    api_city = {"city": city, "ordering": "last_name"}
    api("api.city.page1", "API: city, ordering=last_name, page 1", api_city)
    api(
        f"api.city.page{city_page}.typed",
        f"API: city, ordering=last_name, page={city_page} (sought from the sort index)",
        {**api_city, "page": city_page},
    )
    api_cursor = _api_deep_cursor(admin_client, api_city, city_page)
    if api_cursor:
        api(
            f"api.city.page{city_page}.cursor",
            f"API: city, ordering=last_name, page {city_page} through the `next` link (keyset)",
            {**api_city, "cursor": api_cursor},
        )
    _custom_scenarios(ctx, page, api)
    _text_scenarios(ctx, page, api)
    return result


def _text_scenarios(ctx: dict, page, api) -> None:
    """The list's search box (``?q=``) and the API's ``?search=``: the same texts as the global
    search's figures, and the same target (issue 26: as fast as the global search)."""
    sample = ctx["sample"]
    for key, text in (
        ("he", "כה"),
        ("full_name", "משה לוי"),
        ("phone_suffix7", sample.mobile[-7:]),
    ):
        page(
            f"list.q.{key}",
            f"all contacts with ?q={text}, by last name, page 1",
            {"q": text},
            target=SEARCH_TARGET_MS,
            whole=True,
        )
    api(
        "api.search.he",
        "API: ?search=כה, page 1",
        {"search": "כה"},
        target=SEARCH_TARGET_MS,
        whole=True,
    )


def _custom_scenarios(ctx: dict, page, api) -> None:
    """REQ CX-1, CX-8: a custom pick-list and a built-in field filtered, a custom date sorted."""
    import json

    from kesher.customers.models import Contact
    from kesher.platform.lists.filterlang import CustomValue

    city = ctx["city"]
    expression = {"all": [{"field": "custom.region", "op": "eq", "value": "north"}]}
    params = {"city": city, "filter": json.dumps(expression), "sort": "custom.next_meeting"}
    matching = Contact.objects.filter(city=city).filter(custom__region="north")
    rows = matching.count()
    if not rows:
        return
    dated = matching.filter(~Q(IsNull(CustomValue("next_meeting", "date"), True))).count()
    # A deep page among the dated rows, and one past them, among the undated.
    deep = min(DEEP_PAGE, dated // PAGE_SIZE)
    deep = deep if deep >= 2 else None
    beyond = deep + 2 if deep and rows > (deep + 2) * PAGE_SIZE else None
    label = f"city={city} & custom region=north, sorted by the custom date next_meeting"
    page("list.custom.page1", f"{label}, page 1", params)
    for number in filter(None, (deep, beyond)):
        cursor = _deep_cursor(ctx["admin"], params, number)
        if cursor:
            page(
                f"list.custom.page{number}.cursor",
                f"{label}, page {number} through the next-page link (keyset)",
                {**params, "page": number, "cursor": cursor},
            )
    api_params = {
        "city": city,
        "filter": params["filter"],
        "ordering": "custom.next_meeting",
    }
    api("api.custom.page1", f"API: {label}, page 1", api_params)
    api_cursor = deep and _api_deep_cursor(_client(ctx["admin"]), api_params, deep)
    if api_cursor:
        api(
            f"api.custom.page{deep}.cursor",
            f"API: {label}, page {deep} through the `next` link (keyset)",
            {**api_params, "cursor": api_cursor},
        )


def _api_deep_cursor(client: Client, params: dict, page: int) -> str | None:
    """The ``cursor`` of the ``next`` link on the page before ``page`` (read by OFFSET once)."""
    from urllib.parse import parse_qs, urlsplit

    response = client.get("/api/v1/contacts/?" + urlencode({**params, "page": page - 1}))
    next_link = response.json().get("next") or ""
    values = parse_qs(urlsplit(next_link).query).get("cursor")
    return values[0] if values else None


def _search_scenarios(ctx: dict) -> list[Scenario]:
    from kesher.platform.records.search import search

    admin = ctx["admin"]
    sample = ctx["sample"]
    local_part = sample.email.split("@")[0]
    terms = [
        ("search.name_prefix.he", "name prefix, Hebrew: 'כה' (Cohen, Kahana…)", "כה"),
        ("search.name_prefix.he_long", "name prefix, Hebrew: 'אברה'", "אברה"),
        ("search.name_prefix.en", "name prefix, English: 'Rob'", "Rob"),
        ("search.full_name.he", "first and last name: 'משה לוי'", "משה לוי"),
        (
            "search.phone_suffix7",
            f"phone suffix, last 7 digits: '{sample.mobile[-7:]}'",
            sample.mobile[-7:],
        ),
        (
            "search.phone_national",
            "phone as typed: '0" + sample.mobile[4:6] + "-" + sample.mobile[6:] + "'",
            "0" + sample.mobile[4:6] + "-" + sample.mobile[6:],
        ),
        ("search.email_prefix", f"email prefix: '{local_part}@'", local_part + "@"),
        ("search.email_start", f"email start: '{local_part[:4]}'", local_part[:4]),
    ]
    result = []
    for key, description, text in terms:

        def call(text=text):
            return search(admin, text)

        result.append(
            Scenario(
                key,
                "search",
                description + " — contacts + accounts",
                SEARCH_TARGET_MS,
                call,
                None,
                "all of search()'s SQL, replayed bare",
            )
        )
    return result


def _picker_scenarios(ctx: dict) -> list[Scenario]:
    """The record pickers of forms (issue 14: p95 ≤ 100 ms over 1,000,000 contacts and
    200,000 accounts, and ≤ 3× the best bare way to the same answer). Each is a real request
    through the test client, as the administrator and as a sales rep who sees his own
    records; its floor is the same request through the same middleware and session, answered
    by ``bench/bare_picker.py`` — one hand-written statement per entity — checked to find the
    same records."""
    from bench.bare_picker import floor_statement
    from kesher.platform.records.search import digits, words

    word, email, phone = 1, 2, 3
    sample = ctx["sample"]
    local_part = sample.email.split("@")[0]
    last7 = sample.mobile[-7:]
    terms = [
        # what is typed; the index ranges the picker reads it as, in the order it tries them
        ("he", "Hebrew name prefix 'כה'", "כה", [("כה", (word, email))]),
        ("en", "English name prefix 'Rob'", "Rob", [("rob", (word, email))]),
        (
            "phone",
            f"last 7 digits of a phone '{last7}'",
            last7,
            [(digits(last7)[::-1], (phone,)), (words(last7)[0], (word, email))],
        ),
        (
            "email",
            f"e-mail start '{local_part}@'",
            local_part + "@",
            [(local_part + "@", (email,)), (words(local_part + "@")[0], (word, email))],
        ),
    ]
    who = [("admin", ctx["admin"], None), ("rep", ctx["owner"], ctx["owner"].pk)]
    result = []
    for term_key, term_description, text, alternatives in terms:
        alts = [f"{prefix}:{','.join(map(str, kinds))}" for prefix, kinds in alternatives]
        for who_key, user, owner_id in who:
            client = _client(user)
            bare_params = [("alt", a) for a in alts] + [("target", "id_x")]
            if owner_id:
                bare_params.append(("owner", owner_id))
            for kind, keys, limit, what in (
                ("record", ("contacts",), 10, "record picker, contacts"),
                ("link", ("accounts", "contacts"), 8, "link picker, accounts + contacts"),
            ):
                path = "/pick/contacts/" if kind == "record" else "/pick-link/"
                call = _picked(client, path + "?" + urlencode({"q": text, "target": "id_x"}))
                floor = _picked(client, "/bench" + path + "?" + urlencode(bare_params))
                if _ids(call()) != _ids(floor()):
                    raise RuntimeError(f"picker {kind} {term_key} {who_key}: the floor differs")
                statements = [
                    floor_statement(key, alternatives, owner_id=owner_id, limit=limit)
                    for key in keys
                ]
                result.append(
                    Scenario(
                        f"picker.{kind}.{term_key}.{who_key}",
                        "picker",
                        f"{what}: {term_description}, as {who_key}",
                        SEARCH_TARGET_MS,
                        call,
                        None,
                        "the same request answered by a bare view: one hand-written statement "
                        "per entity (bench/bare_picker.py), the same records",
                        floor=(floor, statements),
                    )
                )
    return result


def _picked(client: Client, url: str):
    def call():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    return call


def _ids(response) -> list[str]:
    return re.findall(r'data-pick="(\d+)"', response.content.decode())


@dataclass
class Prepared:
    """A scenario with the SQL it runs, captured once, and that SQL's plans."""

    scenario: Scenario
    captured: Capture
    statements: list[tuple[str, tuple]]
    plans: list[str]


def _prepare(scenario: Scenario) -> Prepared:
    scenario.call()  # warm caches and connection before capturing
    captured = capture_queries(scenario.call)
    statements = captured.statements
    if scenario.floor is not None:
        statements = scenario.floor[1]
    elif scenario.floor_table:
        quoted = connection.ops.quote_name(scenario.floor_table)
        statements = [s for s in statements if f"FROM {quoted}" in s[0]]
    if not statements:
        raise RuntimeError(f"{scenario.key}: no SQL to replay as its floor")
    plans = []
    for sql, params in statements:
        plan = _shorten(_explain(sql, params), 1000)
        earlier = plans.index(plan) if plan in plans else None
        plans.append(plan if earlier is None else f"(the plan of statement {earlier + 1})")
    return Prepared(scenario, captured, statements, plans)


def _figure(prepared: Prepared, samples: list[float], floor_samples: list[float]) -> Figure:
    scenario, captured, statements = prepared.scenario, prepared.captured, prepared.statements
    return Figure(
        key=scenario.key,
        group=scenario.group,
        description=scenario.description,
        target_ms=scenario.target_ms,
        samples_ms=samples,
        floor_samples_ms=floor_samples,
        floor_description=scenario.floor_description,
        queries=len(captured.statements),
        floor_sql=[_shorten(_interpolate(sql, params), 400) for sql, params in statements],
        plans=prepared.plans,
        extra={
            # All SQL of one captured request, timed: how much of the figure is the database.
            "sql_ms_in_request": round(sum(captured.durations), 2),
            # Every statement's time, in the order run (for search: the order of floor_sql).
            "statement_ms": [round(ms, 2) for ms in captured.durations],
            "statements_over_1ms": [
                {"sql": _shorten(_interpolate(sql, params), 120), "ms": round(ms, 2)}
                for (sql, params), ms in zip(captured.statements, captured.durations, strict=True)
                if ms >= 1
            ],
        },
    )


def _shorten(text: str, limit: int) -> str:
    """Long IN lists and column lists make results files huge; keep the telling part."""
    text = re.sub(r"\{(\d+,){8}[\d,]*\}", "{…ids…}", text)
    text = re.sub(r"\(((\d+|%s), ){8}[^)]*\)", "(…ids…)", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _interpolate(sql: str, params: tuple) -> str:
    text = sql
    for value in params:
        text = text.replace("%s", repr(value), 1)
    return text


def _profile(scenario: Scenario, directory: Path) -> None:
    from pyinstrument import Profiler

    directory.mkdir(parents=True, exist_ok=True)
    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(20):
            scenario.call()
    path = directory / f"{scenario.key}.txt"
    path.write_text(profiler.output_text(unicode=True, show_all=False))
    print(f"profile of {scenario.key}: {path}")


def run_all(*, runs: int, warmup: int, only: str | None = None, profile: str | None = None):
    """Measure every figure; returns the figures and what they were measured over."""
    ctx = _context()
    scenarios = _list_scenarios(ctx) + _search_scenarios(ctx) + _picker_scenarios(ctx)
    if only:
        scenarios = [s for s in scenarios if only in s.key]
    profile_dir = Path(settings.BASE_DIR) / "var" / "bench" / "profiles"
    prepared = [_prepare(scenario) for scenario in scenarios]
    pairs = [
        (p.scenario.call, p.scenario.floor[0] if p.scenario.floor else replay(p.statements))
        for p in prepared
    ]
    # As a pre-forked app server does after loading: what was built so far (Django, URLs,
    # templates, the set-up above) leaves the collector's generations, so a full collection
    # is not charged to whichever request happens to trigger it.
    gc.collect()
    gc.freeze()
    print(f"measuring {len(pairs)} figures, {runs} rounds after {warmup} warm-up", flush=True)
    figures = []
    for item, (samples, floor_samples) in zip(
        prepared, measure(pairs, runs=runs, warmup=warmup), strict=True
    ):
        figure = _figure(item, samples, floor_samples)
        verdict = {True: "pass", False: "MISS", None: "info"}[figure.passed]
        print(
            f"{figure.key:<34} p50 {figure.p50:7.1f} ms  p95 {figure.p95:7.1f} ms  "
            f"floor p95 {figure.floor_p95:6.1f} ms  ×{figure.ratio:4.1f}  {verdict}",
            flush=True,
        )
        figures.append(figure)
    if profile:
        for item in prepared:
            if profile in item.scenario.key:
                _profile(item.scenario, profile_dir)
    summary = {
        "city": ctx["city"],
        "city_rows": ctx["city_rows"],
        "contacts": ctx["all_rows"],
        "owner": ctx["owner"].username,
    }
    return figures, summary

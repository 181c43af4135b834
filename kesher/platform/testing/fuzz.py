"""schemathesis against Kesher's own OpenAPI schema (issue 24 item 3): every operation called
with generated input — valid and invalid — through the WSGI app as a signed-in administrator,
each answer checked for a server error and against what the schema declares (status code,
content type, body).

The bounded run is a test (``kesher/platform/tests/test_api_fuzz.py``); the long run of
20,000+ requests is ``bench/schemathesis_run.py``. Both call :func:`fuzz` here.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Finding", "FuzzResult", "api_schema", "fuzz", "wsgi_app"]


def api_schema() -> dict:
    """The schema as ``manage.py spectacular`` writes it (no request, no user), as JSON."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


def wsgi_app():
    """Django's app as the test client runs it: in this thread, on this thread's database
    connection (a test's transaction included), which the end of a request leaves open."""
    from django.test.client import ClientHandler

    handler = ClientHandler(enforce_csrf_checks=False)

    def app(environ, start_response):
        response = handler(environ)
        headers = list(response.items())
        headers += [
            ("Set-Cookie", cookie.output(header="")) for cookie in response.cookies.values()
        ]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        if response.streaming:
            return response.streaming_content
        return [response.content]

    return app


@dataclass
class Finding:
    """One failed check: which, on what operation, with the request that reproduces it."""

    check: str
    operation: str
    status: int
    message: str
    request: str

    def __str__(self) -> str:
        return f"{self.check} {self.operation} → {self.status}: {self.message}\n  {self.request}"


@dataclass
class FuzzResult:
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    operations: int = 0
    seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


_SERIALIZERS_REGISTERED = False


def _register_serializers() -> None:
    """The raw e-mail a provider forwards (``message/rfc822``) is sent as the bytes drawn."""
    global _SERIALIZERS_REGISTERED
    if _SERIALIZERS_REGISTERED:
        return
    import schemathesis

    @schemathesis.serializer("message/rfc822")
    def raw_message(context, value):
        return value if isinstance(value, bytes) else str(value).encode()

    _SERIALIZERS_REGISTERED = True


def _checks():
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]


def _describe(case) -> str:
    parts = [f"{case.method} {case.formatted_path}"]
    if case.query:
        parts.append(f"query={case.query!r}")
    from schemathesis.core import NotSet

    if not isinstance(case.body, NotSet):
        body = repr(case.body)
        parts.append(f"body={body[:300]}")
    return " ".join(parts)


def _call_and_check(case, label: str, headers: dict, checks: list, result: FuzzResult) -> None:
    from schemathesis.core.failures import FailureGroup

    response = case.call(headers=headers)
    result.requests += 1
    result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
    try:
        case.validate_response(response, checks=checks, headers=headers)
    except FailureGroup as group:
        failures = list(group.exceptions)
    except AssertionError as failure:
        failures = [failure]
    else:
        return
    for failure in failures:
        title = getattr(failure, "title", type(failure).__name__)
        message = str(getattr(failure, "message", failure))[:500]
        result.findings.append(
            Finding(
                check=title,
                operation=label,
                status=response.status_code,
                message=message,
                request=_describe(case),
            )
        )


def _bound(function, *args):
    def call(case):
        function(case, *args)

    return call


def fuzz(
    *,
    token: str,
    plan: Callable[[str], dict[str, int]],
    seed: int,
    language: str = "en",
    progress: Callable[[str, FuzzResult], None] | None = None,
) -> FuzzResult:
    """Call each operation (``"GET /api/v1/accounts/{id}/"``) with as many generated cases
    per generation mode (``"positive"``: valid input; ``"negative"``: invalid input) as
    ``plan(label)`` says (none: the operation is left out), authenticated by ``token``, seeded
    (a run is repeatable); return the counts and every failed check.

    A failure is recorded and the run goes on (no shrinking): one run reports all it finds.
    """
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    _register_serializers()
    schema = schemathesis.openapi.from_dict(api_schema())
    schema.app = wsgi_app()
    headers = {"Authorization": f"Token {token}", "Accept-Language": language}
    checks = _checks()
    result = FuzzResult()
    started = time.perf_counter()
    for operation_result in schema.get_all_operations():
        operation = operation_result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        examples = {mode: count for mode, count in plan(label).items() if count}
        if not examples:
            continue
        result.operations += 1
        for mode, count in examples.items():
            strategy = operation.as_strategy(generation_mode=GenerationMode(mode))
            test = settings(
                max_examples=count,
                database=None,
                deadline=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )(given(case=strategy)(_bound(_call_and_check, label, headers, checks, result)))
            try:
                # The same cases each run for a seed; each operation its own stream within it.
                hypothesis_seed(seed ^ zlib.crc32(f"{label} {mode}".encode()))(test)()
            except Unsatisfiable:
                # Nothing to make invalid: an operation without parameters or body.
                continue
        if progress is not None:
            progress(label, result)
    result.seconds = time.perf_counter() - started
    return result

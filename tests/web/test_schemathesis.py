"""Property tests of the API against its own OpenAPI schema (schemathesis): for every operation,
requests generated from the schema — valid and invalid parameters, odd strings, big numbers —
sent as an administrator (who reaches every route), a county official (scoped) and an
enterprise never get a 5xx. Bounded: ``EXAMPLES`` cases per operation and a time budget for the
whole run, no deadline per case; derandomized so that CI is repeatable."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.slow

EXAMPLES = 5
BUDGET_S = 150
#: calls that would end the shared test accounts' sessions or disable them
SKIP = ("/password", "/disable", "/logout")


@pytest.fixture(scope="module")
def api_tokens(clients):
    from tests.web.conftest import csrf_of

    out = {}
    for who in ("admin", "county", "enterprise"):
        c = clients[who]
        got = c.post("/api/v1/me/tokens", json={"name": f"schemathesis-{who}"}, headers={"X-CSRF-Token": csrf_of(c)})
        assert got.status_code == 201, got.text
        out[who] = got.json()["token"]
    return out


def test_no_operation_answers_a_server_error(web_app, api_tokens):
    app, _ = web_app
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 10
    deadline = time.monotonic() + BUDGET_S
    failures: list[str] = []
    checked = 0
    for op in operations:
        if any(op.path.endswith(s) for s in SKIP) and op.method.upper() != "GET":
            continue
        if time.monotonic() > deadline:
            break

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def run(case):
            for who in ("admin", "county", "enterprise"):
                response = case.call(headers={"Authorization": f"Bearer {api_tokens[who]}"})
                try:
                    case.validate_response(response, checks=(not_a_server_error,))
                except Exception as e:                 # collect, and show every failing operation
                    failures.append(f"{who} {op.method.upper()} {case.formatted_path}: {str(e)[:300]}")
                    return

        run()
        checked += 1
    assert checked >= 10
    assert not failures, "\n".join(failures[:20])

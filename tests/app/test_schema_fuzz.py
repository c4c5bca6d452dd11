"""Schema fuzzing: schemathesis drives every operation of our own OpenAPI spec (bounded examples)."""

import schemathesis
from hypothesis import HealthCheck, settings

from app.main import create_app

# An app of its own: schemathesis runs the app's lifespan around its calls, which must not stop
# the sandbox of the app the other tests share.
fuzzed_app = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)


@schema.parametrize()
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_contract(case):
    """No 5xx, and every response matches the status codes, media types and schemas it declares.

    A schema-valid request may still carry an invalid program (empty, undefined names...), which
    is rightly a 422, so the "positive data must be accepted" check does not apply here.
    """
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])

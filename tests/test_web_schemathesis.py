"""Property-based tests of the service from its own OpenAPI document (schemathesis): no 5xx, and every
response matches what the document promises (status, content type, schema, headers), and, with
every check on, that a request which fits the document is accepted and one which does not is refused.

A bounded run here; `make api-fuzz` runs longer (SCHEMATHESIS_EXAMPLES) on every product's paths.
The file is named to run after test_store: schemathesis's ASGI transport keeps a daemon thread for the rest of the session, and
the store checks cards in two processes only when no other thread is alive.
"""
from __future__ import annotations

import os
import re

import schemathesis
from hypothesis import HealthCheck, settings

from interpreter.live import LiveCatalogue
from interpreter.service import Settings, create_app
from cards import FIXTURE

_live = LiveCatalogue(FIXTURE)
_live.load()
APP = create_app(Settings(root=FIXTURE, watch=False), _live)
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
# The document has paths per product. The bounded run takes one product of each kind of edition: open-
# ended with a reference fact (U-XR), valid for some years only (LN-3), no dates at all (T2-A), and
# every path that is not a product's; `make api-fuzz` takes them all (SCHEMATHESIS_PRODUCTS=all).
PRODUCTS = os.environ.get("SCHEMATHESIS_PRODUCTS", "U-XR,LN-3,T2-A")
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
if PRODUCTS != "all":
    _kept = "|".join(re.escape(code) for code in PRODUCTS.split(","))
    SCHEMA = SCHEMA.exclude(path_regex=rf"^/v1/products/(?!\{{code\}}|(?:{_kept})(?:/|$))")


def _ndjson(ctx, value):
    """A batch body: the generated text as it is (schemathesis cannot know JSON Lines by itself)."""
    return value.encode("utf-8") if isinstance(value, str) else str(value).encode("utf-8")


schemathesis.serializer("application/x-ndjson")(_ndjson)


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_service_keeps_its_openapi_promises(case):
    case.call_and_validate()  # every check, positive_data_acceptance and negative_data_rejection included

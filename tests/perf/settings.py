"""Settings for the benchmarks in tests/perf: the real settings plus a URLconf with a bare view.

The benchmark script sets DJANGO_DEBUG=false and long random secrets before Django starts,
so the server runs in production mode (JSON renderer only, no browsable API).
"""

from workshop.settings import *  # noqa: F403

ROOT_URLCONF = "tests.perf.urls"

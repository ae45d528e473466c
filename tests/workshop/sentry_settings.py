"""Settings of the server test_sentry.py starts: the app's, with `tests.workshop.sentry_urls`.

DJANGO_SETTINGS_MODULE=tests.workshop.sentry_settings
"""

from workshop.settings import *  # noqa: F403

ROOT_URLCONF = "tests.workshop.sentry_urls"

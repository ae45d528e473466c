import pytest
from django.core.files.storage import default_storage

from workshop.management.commands.cleanup_uploads import walk


@pytest.fixture(autouse=True)
def _no_uploads_left_over(settings, tmp_path):
    """Each test starts with no stored uploads, so "nothing was stored" can be checked: a
    fresh temp MEDIA_ROOT locally, and an emptied `imports/` in the throwaway S3 bucket."""
    settings.MEDIA_ROOT = tmp_path / "media"
    for name in list(walk(default_storage, "imports")):
        default_storage.delete(name)

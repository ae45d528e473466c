"""One permission mechanism for the whole API.

Until roles land (issue 3) any active, authenticated user may do everything.
"""

from rest_framework.permissions import IsAuthenticated


class RolePermission(IsAuthenticated):
    pass

"""Amazon DataZone for moto: domains, projects and tags (restJson1, paths from botocore's model).

Laid out like a moto service package (models, responses, urls) so moto's BaseBackend finds the url
module beside the backend. :func:`register` makes moto serve it: moto imports a service as
``moto.<name>`` (``moto.backends.get_backend``) and finds it by URL through
``moto.backend_index.backend_url_patterns``, in-process and in server mode alike.
"""

from __future__ import annotations

import re
import sys

from .models import datazone_backends

SERVICE = "datazone"
URL_PATTERN = re.compile(r"https?://datazone\.(.+)\.(api\.aws|amazonaws\.com)")


def register() -> None:
    """Make ``datazone`` a moto service (idempotent), authorized by IAM against the domain a
    request names (``responses.iam_resources``) rather than ``*``."""
    import moto.backend_index as backend_index

    from ..iam_resources import RESOLVERS
    from .responses import iam_resources

    RESOLVERS[SERVICE] = iam_resources
    sys.modules.setdefault(f"moto.{SERVICE}", sys.modules[__name__])
    if not any(name == SERVICE for name, _ in backend_index.backend_url_patterns):
        backend_index.backend_url_patterns.append((SERVICE, URL_PATTERN))


__all__ = ["datazone_backends", "register"]

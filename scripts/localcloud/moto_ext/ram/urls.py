"""RAM's endpoint: moto's paths and the operations moto has no path for, all served by the
governance handlers (the backend's ``_url_module`` is this module)."""

from moto.ram.urls import url_bases
from moto.ram.urls import url_paths as moto_url_paths

from .responses import GovernanceRamResponse

#: Operations (restJson paths, lower case as RAM's) moto 5.2.1 does not route.
ADDED_PATHS = (
    "associateresourceshare",
    "disassociateresourceshare",
    "listresourcesharepermissions",
    "tagresource",
    "untagresource",
    "getresourceshareinvitations",
    "acceptresourceshareinvitation",
    "rejectresourceshareinvitation",
    "listresources",
)

url_paths = {
    **dict.fromkeys(moto_url_paths, GovernanceRamResponse.dispatch),
    **{f"{{0}}/{operation}$": GovernanceRamResponse.dispatch for operation in ADDED_PATHS},
}

__all__ = ["url_bases", "url_paths"]

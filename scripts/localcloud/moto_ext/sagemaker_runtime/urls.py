"""SageMaker Runtime's endpoint (moto's), served by the local cloud's handlers; moto's
BaseBackend finds this module beside the backend's ``models``."""

from moto.sagemakerruntime.urls import url_bases

from .responses import GovernanceSageMakerRuntimeResponse

response = GovernanceSageMakerRuntimeResponse()

url_paths = {
    "{0}/endpoints/(?P<name>[^/]+)/async-invocations$": response.dispatch,
    "{0}/endpoints/(?P<name>[^/]+)/invocations$": response.dispatch,
}

__all__ = ["url_bases", "url_paths"]

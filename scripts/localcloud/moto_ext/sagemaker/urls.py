"""SageMaker's endpoint (moto's) served by the governance handlers; moto's BaseBackend finds this
module beside the backend's ``models``."""

from moto.sagemaker.urls import url_bases

from .responses import GovernanceSageMakerResponse

url_paths = {
    "{0}/$": GovernanceSageMakerResponse.dispatch,
}

__all__ = ["url_bases", "url_paths"]

"""The local multi-account cloud: a moto server on loopback with the kit's extensions.

    python -m scripts.localcloud start|stop|status|env

or from Python::

    from scripts.localcloud import LocalCloud
    with LocalCloud() as cloud:
        os.environ.update(cloud.env())

Each environment's account is provisioned with its deploy role at start-up; reach an account by
STS AssumeRole into that role, as on AWS. moto extensions live in ``moto_ext`` (see its README).
"""

from .cloud import LocalCloud, LocalCloudError

__all__ = ["LocalCloud", "LocalCloudError"]

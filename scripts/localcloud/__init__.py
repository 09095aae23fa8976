"""The local multi-account cloud: a moto server on loopback with the kit's extensions.

    mlgov cloud start|stop|status|env          (or: python -m scripts.localcloud ...)

or from Python::

    from scripts.localcloud import LocalCloud
    with LocalCloud() as cloud:
        os.environ.update(cloud.env())

Each environment's account is provisioned with its deploy role at start-up; reach an account by
STS AssumeRole into that role, as on AWS. moto extensions live in ``moto_ext`` (see its README);
``containers`` runs SageMaker processing and training jobs under the container contract.

IAM is enforced by default, as on AWS: every request is SigV4-checked and authorized against the
caller's policies, role trust policies and KMS key policies, and ``env()`` hands out the keys of
the management account's admin user. Turn it off for debugging only, with
``LocalCloud(enforce_iam=False)`` or ``mlgov cloud start --no-enforce-iam``.
What the local cloud checks, and what it does not, is in docs/emulator-gaps.md.
"""

from .cloud import LocalCloud, LocalCloudError

__all__ = ["LocalCloud", "LocalCloudError"]

"""Serving of approved model versions: the environment's model-deploy role, and what the SageMaker
execution role needs for the endpoints it runs.

``mlgov serve`` (scripts/serving/deploy.py) acts as the model-deploy role: it reads the version
it is asked to deploy, checks its artifact, and creates the SageMaker model, endpoint config and
endpoint of the use case, all named ``<prefix>-<use case>...`` (``Names.endpoint_name``,
``Names.serving_name``). The role holds nothing else: no registry write (approval, cards and
stage status stay with the approver role), no other name, and the execution role passed to
SageMaker only (``iam:PassedToService``). Resources follow the Service Authorization Reference
(Amazon SageMaker: ``model``, ``endpoint-config``, ``endpoint``, ``monitoring-schedule``,
``data-quality-job-definition``, ``processing-job``; CreateEndpoint and UpdateEndpoint are
authorized against the endpoint and the endpoint config; SageMaker writes names lower-cased in
ARNs, and the kit's names are lower case). The List calls of lineage and hosting take no
resource type, hence ``*``.

Trust: the principals of the environment file's ``model_deployers``, else its ``approvers`` (the
people who decide what runs in this environment), as every person-facing role is trusted; not the
deploy role, which deploys infrastructure and takes no governance role (docs/THREAT_MODEL.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from environments.naming import Names

from .policy import document
from .serving_policy import (
    ROLE_KEY,
    ServingArns,
    execution_serving_statements,
    model_deploy_permissions,
    model_deploy_trust,
)


class ModelServing(Construct):
    """The model-deploy role (``Names.role_name("model_deploy")``, construct ``model-deploy``)
    and the execution role's serving policy (``execution-serving-policy``)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        names: Names,
        use_cases: Sequence[str],
        deployers: Sequence[str],
        kms_key_arn: str,
        execution_role: IamRole,
    ) -> None:
        """
        :param names: derived names of this environment.
        :param use_cases: use case slugs; each has one endpoint name and its versions' names.
        :param deployers: the environment file's ``model_deployers`` (else its ``approvers``):
            the only principals that may assume the role.
        :param kms_key_arn: the platform key (endpoint volumes, captured data, audit records).
        :param execution_role: the SageMaker execution role the endpoints and monitors run as.
        """
        super().__init__(scope, id)
        arns = ServingArns(names, tuple(use_cases), kms_key_arn)
        role_name = names.role_name(ROLE_KEY)
        self.role = IamRole(
            self,
            "model-deploy",
            name=role_name,
            description=f"{names.base}: model deploy role (endpoints of approved versions)",
            assume_role_policy=document(*model_deploy_trust(deployers)),
            max_session_duration=3600,
        )
        self.policy = IamRolePolicy(
            self,
            "model-deploy-policy",
            name=f"{role_name}-policy",
            role=self.role.id,
            policy=document(*model_deploy_permissions(arns, execution_role_arn=names.role_arn("execution"))),
        )
        self.execution_policy = IamRolePolicy(
            self,
            "execution-serving-policy",
            name=f"{names.role_name('execution')}-serving",
            role=execution_role.id,
            policy=document(*execution_serving_statements(arns)),
        )

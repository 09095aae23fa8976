"""Private network for Studio: no internet path, AWS APIs reached through VPC endpoints."""

from __future__ import annotations

import math
from collections.abc import Sequence

from cdktf import Fn
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import (
    SecurityGroup,
    SecurityGroupEgress,
    SecurityGroupIngress,
)
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

from .policy import Statement, document, statement

#: Interface endpoints (``com.amazonaws.<region>.<service>``) a VpcOnly Studio and the platform's
#: jobs need without an internet path: the SageMaker API and runtime, STS (SDK sessions), SSM
#: (published ids), CloudWatch Logs (job logs), KMS (the platform key), ECR API and registry
#: (training and Studio images; layers come through the S3 gateway), EventBridge (audit events).
INTERFACE_ENDPOINTS = (
    "sagemaker.api",
    "sagemaker.runtime",
    "sts",
    "ssm",
    "logs",
    "kms",
    "ecr.api",
    "ecr.dkr",
    "events",
)
#: IAM action prefix of each interface endpoint's service (its endpoint policy allows only it).
ENDPOINT_ACTION_PREFIX = {
    "sagemaker.api": "sagemaker",
    "sagemaker.runtime": "sagemaker",
    "sts": "sts",
    "ssm": "ssm",
    "logs": "logs",
    "kms": "kms",
    "ecr.api": "ecr",
    "ecr.dkr": "ecr",
    "events": "events",
}


def principal_scope(account_id: str, organization_id: str | None) -> dict[str, dict[str, str]]:
    """The condition limiting an endpoint to principals of the organization, or of the account
    when the platform has no organization."""
    if organization_id:
        return {"StringEquals": {"aws:PrincipalOrgID": organization_id}}
    return {"StringEquals": {"aws:PrincipalAccount": account_id}}


def endpoint_policy(service: str, account_id: str, organization_id: str | None) -> list[Statement]:
    """Interface endpoint policy: the service's actions, by principals of the account or
    organization only (a stolen credential of another account cannot use this VPC's path)."""
    return [
        statement(
            "PrincipalsOfThisPlatform",
            [f"{ENDPOINT_ACTION_PREFIX[service]}:*"],
            ["*"],
            principal={"AWS": "*"},
            condition=principal_scope(account_id, organization_id),
        )
    ]


def s3_endpoint_policy(region: str, account_id: str, organization_id: str | None) -> list[Statement]:
    """S3 gateway endpoint policy: principals of the account or organization, plus reads of the
    AWS-owned bucket holding ECR image layers, which ECR hands out as presigned URLs signed by
    AWS (the Amazon ECR User Guide names this bucket for gateway endpoint policies)."""
    return [
        statement(
            "PrincipalsOfThisPlatform",
            ["s3:*"],
            ["*"],
            principal={"AWS": "*"},
            condition=principal_scope(account_id, organization_id),
        ),
        statement(
            "EcrImageLayers",
            ["s3:GetObject"],
            [f"arn:aws:s3:::prod-{region}-starport-layer-bucket/*"],
            principal={"AWS": "*"},
        ),
    ]


def studio_endpoint_policy(region: str, account_id: str) -> list[Statement]:
    """Studio endpoint (``aws.sagemaker.<region>.studio``) policy, the shape the SageMaker guide
    documents for it: CreateApp and CreatePresignedDomainUrl on user profiles, here those of this
    account (and its apps). Requests to the Studio web app are authorised by the presigned URL's
    session, not signed by an IAM principal of ours, so the limit is the resource's account."""
    return [
        statement(
            "StudioOfThisAccount",
            ["sagemaker:CreateApp", "sagemaker:CreatePresignedDomainUrl"],
            [
                f"arn:aws:sagemaker:{region}:{account_id}:user-profile/*",
                f"arn:aws:sagemaker:{region}:{account_id}:app/*",
            ],
            principal={"AWS": "*"},
        )
    ]


class Network(Construct):
    """VPC with one private subnet per availability zone, VPC endpoints (each with a policy
    limited to the platform's principals or resources), flow logs, and the Studio security group
    (NFS and TCP within the group only)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        account_id: str,
        organization_id: str | None,
        region: str,
        cidr: str,
        availability_zones: Sequence[str],
        kms_key_arn: str,
        flow_log_group_name: str,
        flow_log_role_name: str,
        log_retention_days: int,
    ) -> None:
        """
        :param name: name prefix of the network resources (``Names.base``).
        :param account_id: the environment's account (confused-deputy condition of flow logs;
            endpoint policies).
        :param organization_id: when set, endpoint policies admit the organization's principals
            (aws:PrincipalOrgID) instead of only this account's.
        :param region: region of the endpoint service names.
        :param cidr: VPC CIDR from the environment file; subnets are carved from it.
        :param availability_zones: one private subnet per entry (tokens from the AZ data source).
        :param kms_key_arn: key encrypting the flow log group.
        :param flow_log_group_name: CloudWatch log group receiving the VPC flow logs.
        :param flow_log_role_name: IAM role the flow log service assumes to write them.
        :param log_retention_days: retention of the flow log group.
        """
        super().__init__(scope, id)
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": name},
        )
        # Nothing may use the default group: it keeps no rules at all.
        self.default_security_group = DefaultSecurityGroup(
            self, "default-sg", vpc_id=self.vpc.id, ingress=[], egress=[]
        )

        # Enough bits for the AZ count plus headroom for a later public tier.
        newbits = max(2, math.ceil(math.log2(len(availability_zones))) + 1)
        self.route_table = RouteTable(
            self, "private-routes", vpc_id=self.vpc.id, tags={"Name": f"{name}-private"}
        )
        self.subnets: list[Subnet] = []
        for index, az in enumerate(availability_zones):
            subnet = Subnet(
                self,
                f"private-{index}",
                vpc_id=self.vpc.id,
                availability_zone=az,
                cidr_block=Fn.cidrsubnet(cidr, newbits, index),
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-private-{index}"},
            )
            RouteTableAssociation(
                self, f"private-{index}-routes", subnet_id=subnet.id, route_table_id=self.route_table.id
            )
            self.subnets.append(subnet)
        subnet_ids = [s.id for s in self.subnets]

        self.s3_endpoint = VpcEndpoint(
            self,
            "s3-endpoint",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[self.route_table.id],
            policy=document(*s3_endpoint_policy(region, account_id, organization_id)),
        )

        self.endpoint_security_group = SecurityGroup(
            self,
            "endpoint-sg",
            name=f"{name}-vpc-endpoints",
            description="HTTPS from inside the VPC to the interface endpoints",
            vpc_id=self.vpc.id,
            ingress=[
                SecurityGroupIngress(
                    description="HTTPS from the VPC",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[cidr],
                )
            ],
            egress=[
                SecurityGroupEgress(
                    description="Responses stay inside the VPC",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[cidr],
                )
            ],
        )
        self.studio_security_group = SecurityGroup(
            self,
            "studio-sg",
            name=f"{name}-studio",
            description="SageMaker Studio apps: NFS and TCP within the group, HTTPS to endpoints",
            vpc_id=self.vpc.id,
            ingress=[
                SecurityGroupIngress(
                    description="EFS home directories (NFS) within the group",
                    protocol="tcp",
                    from_port=2049,
                    to_port=2049,
                    self_attribute=True,
                ),
                SecurityGroupIngress(
                    description="Studio apps talk to each other within the group",
                    protocol="tcp",
                    from_port=0,
                    to_port=65535,
                    self_attribute=True,
                ),
            ],
            egress=[
                SecurityGroupEgress(
                    description="TCP within the group (EFS, app to app)",
                    protocol="tcp",
                    from_port=0,
                    to_port=65535,
                    self_attribute=True,
                ),
                SecurityGroupEgress(
                    description="HTTPS to the interface endpoints in the VPC",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[cidr],
                ),
                SecurityGroupEgress(
                    description="HTTPS to S3 through the gateway endpoint",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    prefix_list_ids=[self.s3_endpoint.prefix_list_id],
                ),
            ],
        )

        self.interface_endpoints: dict[str, VpcEndpoint] = {}
        for service in INTERFACE_ENDPOINTS:
            self.interface_endpoints[service] = self._interface_endpoint(
                service,
                f"com.amazonaws.{region}.{service}",
                endpoint_policy(service, account_id, organization_id),
                subnet_ids,
            )
        # A VpcOnly domain's web app is reached through this endpoint (SageMaker AI guide: "SageMaker
        # Studio: aws.sagemaker.region.studio"); note the service name is not com.amazonaws.*.
        self.interface_endpoints["studio"] = self._interface_endpoint(
            "studio",
            f"aws.sagemaker.{region}.studio",
            studio_endpoint_policy(region, account_id),
            subnet_ids,
        )

        self.flow_log_group = CloudwatchLogGroup(
            self,
            "flow-log-group",
            name=flow_log_group_name,
            kms_key_id=kms_key_arn,
            retention_in_days=log_retention_days,
        )
        self.flow_log_role = IamRole(
            self,
            "flow-log-role",
            name=flow_log_role_name,
            assume_role_policy=document(
                statement(
                    "VpcFlowLogsOfThisAccount",
                    ["sts:AssumeRole"],
                    principal={"Service": "vpc-flow-logs.amazonaws.com"},
                    condition={
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{region}:{account_id}:vpc-flow-log/*"},
                    },
                )
            ),
        )
        log_group_arn = f"arn:aws:logs:{region}:{account_id}:log-group:{flow_log_group_name}"
        IamRolePolicy(
            self,
            "flow-log-role-policy",
            name="write-flow-logs",
            role=self.flow_log_role.id,
            policy=document(
                statement(
                    "WriteFlowLogGroup",
                    [
                        "logs:CreateLogStream",
                        "logs:DescribeLogStreams",
                        "logs:PutLogEvents",
                    ],
                    [log_group_arn, f"{log_group_arn}:*"],
                ),
                statement("DescribeLogGroups", ["logs:DescribeLogGroups"], ["*"]),
            ),
        )
        self.flow_log = FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=self.flow_log_role.arn,
        )

    def _interface_endpoint(
        self, service: str, service_name: str, policy: list[Statement], subnet_ids: list[str]
    ) -> VpcEndpoint:
        return VpcEndpoint(
            self,
            f"{service.replace('.', '-')}-endpoint",
            vpc_id=self.vpc.id,
            service_name=service_name,
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
            subnet_ids=subnet_ids,
            security_group_ids=[self.endpoint_security_group.id],
            policy=document(*policy),
        )

    @property
    def subnet_ids(self) -> list[str]:
        """Private subnet ids (Terraform references)."""
        return [s.id for s in self.subnets]

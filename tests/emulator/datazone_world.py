"""A DataZone domain with a data producer and a model consumer, for the emulator's DataZone tests
(in-process, moto's mock): each person is an IAM role whose temporary credentials make it a
distinct DataZone user, as on AWS."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

CONFIG = Config(retries={"mode": "standard"})
ACCOUNT = "123456789012"

#: The dataset form a data engineer publishes an S3 dataset with: where it is, its schema, the
#: protected facet, who owns it and how it is classified.
DATASET_FORM = """
structure Column {
    @required
    name: String
    @required
    type: String
}

list Columns {
    member: Column
}

enum Classification {
    PUBLIC
    INTERNAL
    CONFIDENTIAL
}

structure MlgovDatasetForm {
    @required
    s3Uri: String
    @required
    schema: Columns
    protectedFacet: String
    @amazon.datazone#searchable
    @required
    owner: String
    @required
    classification: Classification
}
"""

DATASET = {
    "s3Uri": "s3://mlgov-dev-data/credit/german/",
    "schema": [{"name": "age", "type": "int"}, {"name": "credit_amount", "type": "int"}],
    "protectedFacet": "age",
    "owner": "risk-data-team",
    "classification": "CONFIDENTIAL",
}


def code_of(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def message_of(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Message"])


def trust(account: str = ACCOUNT) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def person(name: str, service: str = "datazone") -> tuple[str, Any]:
    """An IAM role of the current account and a client signed with a session of it."""
    iam = boto3.client("iam", config=CONFIG)
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust())["Role"]["Arn"]
    creds = boto3.client("sts", config=CONFIG).assume_role(RoleArn=arn, RoleSessionName=f"{name}-session")[
        "Credentials"
    ]
    client = boto3.client(
        service,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=CONFIG,
    )
    return str(arn), client


def dataset_forms(**changes: Any) -> list[dict[str, str]]:
    return [
        {
            "formName": "S3ObjectCollectionForm",
            "content": json.dumps({"bucketArn": "arn:aws:s3:::mlgov-dev-data"}),
        },
        {"formName": "MlgovDatasetForm", "content": json.dumps({**DATASET, **changes})},
    ]


@dataclass
class World:
    """A domain, the producer project of the data engineer and the consumer project of the ML
    builder, a glossary with the business term, and the dataset's form and asset types."""

    domain: str
    admin: Any
    engineer: Any
    engineer_arn: str
    builder: Any
    builder_arn: str
    outsider: Any
    outsider_arn: str
    producer: str
    consumer: str
    glossary: str
    term: str
    extra: dict[str, Any] = field(default_factory=dict)

    def create_dataset(self, name: str = "German credit", **changes: Any) -> dict[str, Any]:
        return dict(
            self.engineer.create_asset(
                domainIdentifier=self.domain,
                name=name,
                description="Loan applications with their repayment outcome",
                owningProjectIdentifier=self.producer,
                typeIdentifier="MlgovS3DatasetAssetType",
                formsInput=dataset_forms(**changes),
                glossaryTerms=[self.term],
            )
        )

    def publish(self, asset_id: str, client: Any = None, action: str = "PUBLISH") -> dict[str, Any]:
        return dict(
            (client or self.engineer).create_listing_change_set(
                domainIdentifier=self.domain, entityIdentifier=asset_id, entityType="ASSET", action=action
            )
        )


def build_world() -> World:
    admin = boto3.client("datazone", config=CONFIG)
    domain = admin.create_domain(
        name="mlgov-governance",
        domainExecutionRole=f"arn:aws:iam::{ACCOUNT}:role/mlgov-dev-datazone-execution",
    )["id"]
    engineer_arn, engineer = person("mlgov-dev-data-engineer")
    builder_arn, builder = person("mlgov-dev-data-scientist")
    outsider_arn, outsider = person("mlgov-dev-outsider")
    producer = engineer.create_project(domainIdentifier=domain, name="mlgov-data-producers")["id"]
    consumer = builder.create_project(domainIdentifier=domain, name="mlgov-credit-risk")["id"]
    glossary = engineer.create_glossary(
        domainIdentifier=domain, name="Business terms", owningProjectIdentifier=producer
    )
    term = engineer.create_glossary_term(
        domainIdentifier=domain,
        glossaryIdentifier=glossary["id"],
        name="Credit risk",
        shortDescription="The chance a borrower does not repay",
    )
    form = engineer.create_form_type(
        domainIdentifier=domain,
        name="MlgovDatasetForm",
        model={"smithy": DATASET_FORM},
        owningProjectIdentifier=producer,
        status="ENABLED",
    )
    engineer.create_asset_type(
        domainIdentifier=domain,
        name="MlgovS3DatasetAssetType",
        description="An S3 prefix of training data",
        owningProjectIdentifier=producer,
        formsInput={
            "S3ObjectCollectionForm": {
                "typeIdentifier": "amazon.datazone.S3ObjectCollectionFormType",
                "typeRevision": "1",
                "required": True,
            },
            "MlgovDatasetForm": {
                "typeIdentifier": "MlgovDatasetForm",
                "typeRevision": form["revision"],
                "required": True,
            },
        },
    )
    return World(
        domain=domain,
        admin=admin,
        engineer=engineer,
        engineer_arn=engineer_arn,
        builder=builder,
        builder_arn=builder_arn,
        outsider=outsider,
        outsider_arn=outsider_arn,
        producer=producer,
        consumer=consumer,
        glossary=glossary["id"],
        term=term["id"],
    )

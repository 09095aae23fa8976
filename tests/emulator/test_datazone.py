"""The DataZone service added to moto, in-process (mock_aws)."""

from __future__ import annotations

import re

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from scripts.localcloud.moto_ext.datazone.models import READY_DELAY_ENV

ROLE = "arn:aws:iam::123456789012:role/mlgov-dev-datazone-execution"


@pytest.fixture
def dz(mocked: None, monkeypatch: pytest.MonkeyPatch):
    # Domains ready at once, except in the test of the provisioning delay itself.
    monkeypatch.setenv(READY_DELAY_ENV, "0")
    return boto3.client("datazone", config=Config(retries={"mode": "standard"}))


def test_a_new_domain_is_creating_until_its_provisioning_delay_has_passed(dz, monkeypatch, clock):
    """AWS provisions a domain for minutes (CREATING) before AVAILABLE; the provider's
    aws_datazone_domain waits for AVAILABLE, and so must anything that polls a domain."""
    monkeypatch.setenv(READY_DELAY_ENV, "60")
    domain = dz.create_domain(name="slow", domainExecutionRole=ROLE)
    assert domain["status"] == "CREATING"
    assert dz.get_domain(identifier=domain["id"])["status"] == "CREATING"
    assert [d["status"] for d in dz.list_domains(status="AVAILABLE")["items"]] == []
    clock.advance(61)
    assert dz.get_domain(identifier=domain["id"])["status"] == "AVAILABLE"
    assert [d["id"] for d in dz.list_domains(status="AVAILABLE")["items"]] == [domain["id"]]


def test_domain_and_project_lifecycle(dz):
    domain = dz.create_domain(name="mlgov-governance", domainExecutionRole=ROLE, tags={"env": "dev"})
    assert re.fullmatch(r"dzd_[a-z0-9]{14}", domain["id"])
    assert domain["arn"] == f"arn:aws:datazone:us-east-1:123456789012:domain/{domain['id']}"
    assert dz.get_domain(identifier=domain["id"])["status"] == "AVAILABLE"
    assert dz.list_tags_for_resource(resourceArn=domain["arn"])["tags"] == {"env": "dev"}
    dz.tag_resource(resourceArn=domain["arn"], tags={"owner": "platform"})
    dz.untag_resource(resourceArn=domain["arn"], tagKeys=["env"])
    assert dz.list_tags_for_resource(resourceArn=domain["arn"])["tags"] == {"owner": "platform"}
    dz.update_domain(identifier=domain["id"], description="governance")
    assert dz.get_domain(identifier=domain["id"])["description"] == "governance"

    project = dz.create_project(domainIdentifier=domain["id"], name="mlgov-credit-risk")
    assert project["projectStatus"] == "ACTIVE"
    with pytest.raises(ClientError) as error:
        dz.create_project(domainIdentifier=domain["id"], name="mlgov-credit-risk")
    assert error.value.response["Error"]["Code"] == "ConflictException"
    dz.update_project(domainIdentifier=domain["id"], identifier=project["id"], description="pd")
    got = dz.get_project(domainIdentifier=domain["id"], identifier=project["id"])
    assert got["description"] == "pd" and got["name"] == "mlgov-credit-risk"
    listed = [
        p["id"]
        for page in dz.get_paginator("list_projects").paginate(domainIdentifier=domain["id"])
        for p in page["items"]
    ]
    assert listed == [project["id"]]

    with pytest.raises(ClientError) as error:
        dz.delete_domain(identifier=domain["id"])
    assert error.value.response["Error"]["Code"] == "ConflictException"
    dz.delete_project(domainIdentifier=domain["id"], identifier=project["id"])
    with pytest.raises(ClientError) as error:
        dz.get_project(domainIdentifier=domain["id"], identifier=project["id"])
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert dz.delete_domain(identifier=domain["id"])["status"] == "DELETING"
    with pytest.raises(ClientError) as error:
        dz.get_domain(identifier=domain["id"])
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert dz.list_domains()["items"] == []


def test_domains_are_per_account(dz, monkeypatch):
    dz.create_domain(name="mlgov-governance", domainExecutionRole=ROLE)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "222222222222")
    other = boto3.client("datazone")
    assert other.list_domains()["items"] == []


def test_duplicate_domain_name_conflicts(dz):
    dz.create_domain(name="d", domainExecutionRole=ROLE)
    with pytest.raises(ClientError) as error:
        dz.create_domain(name="d", domainExecutionRole=ROLE)
    assert error.value.response["Error"]["Code"] == "ConflictException"

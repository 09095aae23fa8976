"""DataZone's events on EventBridge, as the domain's account receives them.

Amazon DataZone sends its events to the default event bus of the domain's account with
``source: aws.datazone`` (EventBridge events reference, "Amazon DataZone events"; DataZone User
Guide, "Amazon DataZone events in Amazon EventBridge"). The ``detail`` carries ``metadata``
(``id`` of the entity, ``domain``, ``typeName``, ``user``, ``awsAccountId``, ``owningProjectId``)
and ``data``; the members of ``data`` follow what the AWS samples that react to these events read
(aws-solutions-library-samples "guidance-for-connecting-data-products-with-amazon-datazone":
``data.subscribedListing.id`` / ``version``, ``data.subscribedPrincipal.id``, ``data.status``;
"guidance-for-streamlining-data-access-with-jira-service-management-and-amazon-datazone":
``metadata.owningProjectId``, ``data.requesterId``, ``data.subscribedListings[].ownerProjectId``;
awslabs "data-solutions-framework-on-aws" DataZone MSK authorizer: ``metadata.id`` of a grant,
``data.asset.listingId`` / ``listingVersion`` / ``typeName``, ``data.subscriptionTarget.id`` /
``environmentId``). Members no source shows are not invented.

Published through moto's events backend, so rules on the bus deliver them to their targets, like
the SageMaker model package state change events (moto_ext/README.md).
"""

from __future__ import annotations

import json
from typing import Any

SOURCE = "aws.datazone"


def publish(
    account_id: str,
    region: str,
    detail_type: str,
    *,
    entity_id: str,
    type_name: str,
    domain_id: str,
    user_id: str | None,
    owning_project_id: str | None,
    data: dict[str, Any],
) -> None:
    """Put one DataZone event on the default bus of ``account_id`` (the domain's account)."""
    from moto.events.models import events_backends

    metadata = {
        "id": entity_id,
        "version": "1",
        "typeName": type_name,
        "domain": domain_id,
        "user": user_id,
        "awsAccountId": account_id,
        "owningProjectId": owning_project_id,
    }
    detail = {
        "version": "1",
        "metadata": {k: v for k, v in metadata.items() if v is not None},
        "data": data,
    }
    events_backends[account_id][region].put_events(
        [
            {
                "Source": SOURCE,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, default=str),
                "Resources": [],
            }
        ]
    )

"""Lineage from the dataset to deployment, as SageMaker lineage entities.

Registering a version records, in the account that trains it::

    dataset (Artifact DataSet, content hash) --ContributedTo--> training run (Action ModelTraining,
    hyperparameters and metrics as properties) --Produced--> model (Artifact Model, the archive's
    S3 URI) --ContributedTo--> model package (Artifact ModelPackage, SourceUri = the package ARN)

Marking a version Deployed adds ``model package --ContributedTo--> deployment (Action
ModelDeployment)``. Promotion records ``upstream package artifact --ContributedTo--> target
package artifact`` in the target account (lineage never crosses accounts on AWS: the upstream
package is represented there by an artifact whose SourceUri is its ARN, see promote/register.py).

:func:`walk_back` follows a version back through every account to its dataset: in each account
it follows associations to their source; when it meets an artifact that stands for a package of
another account, it continues in that account with that account's reader. A model package itself
cannot be associated (AddAssociation accepts only experiment, trial component, artifact, action
and context ARNs: the AssociationEntityArn pattern in the SageMaker API reference), hence the
artifacts that stand for packages.

Every ``record_*`` function is idempotent: an entity is looked up by its SourceUri (or name)
before it is created, and an association that exists is not added again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from .context import paginate

DATASET, TRAINING, MODEL, PACKAGE, DEPLOYMENT = (
    "DataSet",
    "ModelTraining",
    "Model",
    "ModelPackage",
    "ModelDeployment",
)
#: Property values are strings of at most 256 characters on AWS (StringParameterValue).
_MAX_VALUE = 256


@dataclass(frozen=True)
class Node:
    """One entity of a lineage chain."""

    kind: str
    """DataSet | ModelTraining | Model | ModelPackage | ModelDeployment."""
    arn: str
    """The lineage entity's ARN."""
    source_uri: str
    """What it stands for: an S3 URI, a package ARN, a training run id."""
    account: str
    properties: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "arn": self.arn,
            "source_uri": self.source_uri,
            "account": self.account,
            "properties": dict(self.properties),
        }


def _props(values: Mapping[str, Any]) -> dict[str, str]:
    return {str(k)[:_MAX_VALUE]: str(v)[:_MAX_VALUE] for k, v in values.items()}


def _short(name: str, material: str) -> str:
    """An entity name (<= 120 chars, [a-zA-Z0-9-]) that stays unique for ``material``."""
    digest = hashlib.sha256(material.encode()).hexdigest()[:12]
    clean = "".join(c if c.isalnum() or c == "-" else "-" for c in name).strip("-")
    return f"{clean[:100]}-{digest}"


def _artifact(
    sm: Any,
    *,
    uri: str,
    kind: str,
    name: str,
    properties: Mapping[str, Any] | None = None,
    content_hash: str | None = None,
) -> str:
    for found in paginate(sm, "list_artifacts", "ArtifactSummaries", SourceUri=uri, ArtifactType=kind):
        return str(found["ArtifactArn"])
    source: dict[str, Any] = {"SourceUri": uri}
    if content_hash:
        source["SourceTypes"] = [{"SourceIdType": "Custom", "Value": f"sha256:{content_hash}"}]
    try:
        return str(
            sm.create_artifact(
                ArtifactName=_short(name, uri),
                Source=source,
                ArtifactType=kind,
                Properties=_props(properties or {}),
            )["ArtifactArn"]
        )
    except ClientError:
        # Another run created it meanwhile: use that one, or re-raise the real error.
        for found in paginate(sm, "list_artifacts", "ArtifactSummaries", SourceUri=uri, ArtifactType=kind):
            return str(found["ArtifactArn"])
        raise


def _action(
    sm: Any, *, uri: str, kind: str, name: str, properties: Mapping[str, Any], status: str = "Completed"
) -> str:
    for found in paginate(sm, "list_actions", "ActionSummaries", SourceUri=uri, ActionType=kind):
        return str(found["ActionArn"])
    try:
        return str(
            sm.create_action(
                ActionName=_short(name, uri),
                Source={"SourceUri": uri},
                ActionType=kind,
                Status=status,
                Properties=_props(properties),
            )["ActionArn"]
        )
    except ClientError:
        for found in paginate(sm, "list_actions", "ActionSummaries", SourceUri=uri, ActionType=kind):
            return str(found["ActionArn"])
        raise


def associate(sm: Any, source: str, destination: str, kind: str) -> bool:
    """Associate ``source`` -> ``destination`` unless they already are; True when added."""
    for _ in paginate(
        sm, "list_associations", "AssociationSummaries", SourceArn=source, DestinationArn=destination
    ):
        return False
    sm.add_association(SourceArn=source, DestinationArn=destination, AssociationType=kind)
    return True


def package_artifact(sm: Any, package_arn: str, *, env: str) -> str:
    """The artifact standing for a model package in the caller's account (created if missing)."""
    group, number = package_arn.split("/")[-2:]
    return _artifact(
        sm,
        uri=package_arn,
        kind=PACKAGE,
        name=f"{group}-{env}-v{number}",
        properties={"account": package_arn.split(":")[4], "environment": env},
    )


def record_registration(
    sm: Any,
    *,
    package_arn: str,
    env: str,
    dataset_uri: str,
    dataset_hash: str,
    model_uri: str,
    training: Mapping[str, Any],
) -> dict[str, str]:
    """Dataset -> training run -> model -> model package, in the caller's account.

    ``training`` carries ``algorithm``, ``hyperparameters`` and ``metrics`` (mappings are stored
    as ``hp.<name>`` / ``metric.<name>`` properties). Returns the entity ARNs by kind."""
    dataset = _artifact(
        sm,
        uri=dataset_uri,
        kind=DATASET,
        name=f"dataset-{dataset_hash[:12]}",
        properties={"sha256": dataset_hash},
        content_hash=dataset_hash,
    )
    run_id = f"{model_uri}#training"
    props: dict[str, Any] = {
        "algorithm": training.get("algorithm", "unknown"),
        "dataset_sha256": dataset_hash,
    }
    props.update({f"hp.{k}": v for k, v in (training.get("hyperparameters") or {}).items()})
    props.update({f"metric.{k}": v for k, v in (training.get("metrics") or {}).items()})
    run = _action(
        sm, uri=run_id, kind=TRAINING, name=f"training-{training.get('algorithm', 'model')}", properties=props
    )
    model = _artifact(sm, uri=model_uri, kind=MODEL, name="model", properties={"package": package_arn})
    package = package_artifact(sm, package_arn, env=env)
    associate(sm, dataset, run, "ContributedTo")
    associate(sm, run, model, "Produced")
    associate(sm, model, package, "ContributedTo")
    return {DATASET: dataset, TRAINING: run, MODEL: model, PACKAGE: package}


def record_deployment(sm: Any, *, package_arn: str, env: str, reason: str, when: str) -> str:
    """A ModelDeployment action fed by the version's package artifact; one per version."""
    package = package_artifact(sm, package_arn, env=env)
    action = _action(
        sm,
        uri=f"{package_arn}#deployment",
        kind=DEPLOYMENT,
        name=f"deployment-{env}",
        properties={"environment": env, "reason": reason, "deployed_at": when},
    )
    associate(sm, package, action, "ContributedTo")
    return action


def _describe(sm: Any, arn: str) -> tuple[str, str, dict[str, str]]:
    """(kind, source uri, properties) of an artifact or action ARN."""
    if ":artifact/" in arn:
        d = sm.describe_artifact(ArtifactArn=arn)
        return d.get("ArtifactType", ""), d.get("Source", {}).get("SourceUri", ""), d.get("Properties") or {}
    d = sm.describe_action(ActionName=arn)  # ActionName accepts the ARN (API reference pattern)
    return d.get("ActionType", ""), d.get("Source", {}).get("SourceUri", ""), d.get("Properties") or {}


class LineageError(RuntimeError):
    """The chain could not be followed: the message names the entity and the account."""


def walk_back(reader: Callable[[str], Any], package_arn: str, *, max_steps: int = 50) -> list[Node]:
    """The chain from ``package_arn`` back to its dataset, newest first, across accounts.

    ``reader(account_id)`` returns a SageMaker client that can read lineage in that account.
    The deployment action of the starting version, when there is one, comes first."""
    account = package_arn.split(":")[4]
    sm = reader(account)
    start = next(
        iter(
            paginate(sm, "list_artifacts", "ArtifactSummaries", SourceUri=package_arn, ArtifactType=PACKAGE)
        ),
        None,
    )
    if start is None:
        raise LineageError(f"no lineage recorded for {package_arn} in account {account}")
    chain: list[Node] = []
    for assoc in paginate(sm, "list_associations", "AssociationSummaries", SourceArn=start["ArtifactArn"]):
        if assoc.get("DestinationType") == DEPLOYMENT or ":action/" in assoc["DestinationArn"]:
            kind, uri, props = _describe(sm, assoc["DestinationArn"])
            if kind == DEPLOYMENT:
                chain.append(Node(kind, assoc["DestinationArn"], uri, account, props))
    current = str(start["ArtifactArn"])
    seen: set[str] = set()
    for _ in range(max_steps):
        if current in seen:
            raise LineageError(f"lineage loops at {current} in account {account}")
        seen.add(current)
        kind, uri, props = _describe(sm, current)
        owner = uri.split(":")[4] if kind == PACKAGE and uri.startswith("arn:") else account
        if kind == PACKAGE and owner != account:
            # Stands for a package of another account: continue there, from its own artifact.
            account, sm = owner, reader(owner)
            there = next(
                iter(
                    paginate(sm, "list_artifacts", "ArtifactSummaries", SourceUri=uri, ArtifactType=PACKAGE)
                ),
                None,
            )
            if there is None:
                raise LineageError(f"no lineage recorded for {uri} in account {owner}")
            current = str(there["ArtifactArn"])
            continue
        chain.append(Node(kind, current, uri, account, props))
        if kind == DATASET:
            return chain
        sources = [
            a["SourceArn"]
            for a in paginate(sm, "list_associations", "AssociationSummaries", DestinationArn=current)
        ]
        if not sources:
            raise LineageError(
                f"lineage of {package_arn} stops at {kind} {uri} in account {account}: nothing leads to it"
            )
        current = sorted(sources)[0]
    raise LineageError(f"lineage of {package_arn} is longer than {max_steps} steps")

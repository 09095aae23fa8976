"""Lineage from the dataset to deployment, as SageMaker lineage entities.

Registering a version records, in the account that trains it::

    dataset (Artifact DataSet, content hash) --ContributedTo--> training run (Action ModelTraining,
    hyperparameters and metrics as properties) --Produced--> model (Artifact Model, the archive's
    S3 URI) --ContributedTo--> model package (Artifact ModelPackage, SourceUri = the package ARN)

Marking a version Deployed adds ``model package --ContributedTo--> deployment (Action
ModelDeployment)``; ``mlgov serve`` records the endpoint as SageMaker does
(:func:`record_endpoint_deployment`: ``--AssociatedWith--> endpoint (Context Endpoint)``);
``mlgov batch`` links the version to the trial component SageMaker records for its transform job
(:func:`record_transform_job`: ``--ContributedTo--> TransformJob``). Promotion records ``upstream package artifact --ContributedTo--> target
package artifact`` in the target account (lineage never crosses accounts on AWS: the upstream
package is represented there by an artifact whose SourceUri is its ARN, see promote/register.py).

:func:`walk_back` follows a version back through every account to its dataset: in each account
it follows associations to their source (for a version a SageMaker Pipeline built, through the
trial components SageMaker records for its jobs and the datasets they produced, to the pipeline's
input; see :func:`_upstream`); when it meets an artifact that stands for a package of
another account, it continues in that account with that account's reader. A model package itself
cannot be associated (AddAssociation accepts only experiment, trial component, artifact, action
and context ARNs: the AssociationEntityArn pattern in the SageMaker API reference), hence the
artifacts that stand for packages.

Every ``record_*`` function is idempotent: an entity is looked up by its SourceUri (or name)
before it is created, and an association that exists is not added again.

``mlgov lineage`` prints the chain of one version, reading every account it crosses as that
environment's approver role (:data:`READER_ROLE`)::

    mlgov lineage --env prod --version 1 [--use-case credit-risk] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

from environments import PlatformConfig, load_platform
from scripts import command
from scripts.aws import kit_errors

from .context import ROLE_KEYS, EnvContext, env_context, paginate, resolve_use_case
from .errors import GovernanceError
from .output import common_parser
from .versions import resolve_version

#: The ContextType SageMaker gives an endpoint's context.
ENDPOINT = "Endpoint"
DATASET, TRAINING, MODEL, PACKAGE, DEPLOYMENT = (
    "DataSet",
    "ModelTraining",
    "Model",
    "ModelPackage",
    "ModelDeployment",
)
#: Property values are strings of at most 256 characters on AWS (StringParameterValue).
_MAX_VALUE = 256
#: What lineage says where it does not know, e.g. the hash of a dataset it could not read.
UNKNOWN = "unknown"
#: Properties of a dataset artifact that is a DataZone asset (docs/DATA.md): which asset, in which
#: domain. The revision is per version: on the card, and on the kit's training run.
ASSET_ID, ASSET_DOMAIN, ASSET_NAME = "datazone_asset_id", "datazone_domain_id", "datazone_asset_name"


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


def record_dataset_asset(
    sm: Any, *, uri: str, asset: Mapping[str, Any], properties: Mapping[str, Any] | None = None
) -> str:
    """The DataSet artifact of ``uri`` made to say which DataZone asset it is (``asset``: what
    :func:`scripts.datazone.datasets.subscribed` returns: ``asset_id``, ``domain_id``,
    ``asset_name``). SageMaker keeps one artifact per SourceUri and reuses it for a job's input
    (Developer Guide, "Lineage Tracking Entities"), so the pipeline's preprocessing job, reading
    ``uri``, is associated with this artifact and ``mlgov lineage`` shows the asset. An artifact
    already there (SageMaker's, from an earlier run) gets the properties (UpdateArtifact: "The new list of
    properties. Overwrites the current property list", API reference; ``properties`` are the
    others to keep)."""
    props = _props(
        {
            **(properties or {}),
            ASSET_ID: asset["asset_id"],
            ASSET_DOMAIN: asset["domain_id"],
            ASSET_NAME: asset["asset_name"],
        }
    )
    arn = _artifact(sm, uri=uri, kind=DATASET, name=f"dataset-{asset['asset_name']}", properties=props)
    sm.update_artifact(ArtifactArn=arn, Properties=props)
    return arn


def record_registration(
    sm: Any,
    *,
    package_arn: str,
    env: str,
    dataset_uri: str | None,
    dataset_hash: str | None,
    model_uri: str,
    training: Mapping[str, Any],
    dataset_asset: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Dataset -> training run -> model -> model package, in the caller's account.

    ``dataset_hash`` is the SHA-256 of the dataset's content, or None when the registration could
    not read it (a dataset in another bucket): the entity then says ``unknown``, never a hash of
    something else. Without ``dataset_uri`` the chain starts at the training run. ``training``
    carries ``algorithm``, ``hyperparameters`` and ``metrics`` (mappings are stored as
    ``hp.<name>`` / ``metric.<name>`` properties). ``dataset_asset`` (the subscribed DataZone
    asset the dataset is: ``asset_id``, ``revision``, ``domain_id``, ``asset_name``) goes on the
    dataset artifact (:func:`record_dataset_asset`) and, with its revision, on the training run.
    Returns the entity ARNs by kind."""
    digest = dataset_hash or UNKNOWN
    run_id = f"{model_uri}#training"
    props: dict[str, Any] = {
        "algorithm": training.get("algorithm") or UNKNOWN,
        "dataset": dataset_uri or "not recorded",
        "dataset_sha256": digest,
    }
    if dataset_asset is not None:
        props.update(
            {
                "dataset_asset_id": dataset_asset["asset_id"],
                "dataset_asset_revision": dataset_asset["revision"],
            }
        )
    props.update({f"hp.{k}": v for k, v in (training.get("hyperparameters") or {}).items()})
    props.update({f"metric.{k}": v for k, v in (training.get("metrics") or {}).items()})
    run = _action(
        sm,
        uri=run_id,
        kind=TRAINING,
        name=f"training-{training.get('algorithm') or 'model'}",
        properties=props,
    )
    model = _artifact(sm, uri=model_uri, kind=MODEL, name="model", properties={"package": package_arn})
    package = package_artifact(sm, package_arn, env=env)
    out = {TRAINING: run, MODEL: model, PACKAGE: package}
    if dataset_uri:
        out[DATASET] = _artifact(
            sm,
            uri=dataset_uri,
            kind=DATASET,
            name=f"dataset-{digest[:12]}",
            properties={"sha256": digest},
            content_hash=dataset_hash,
        )
        if dataset_asset is not None:
            record_dataset_asset(sm, uri=dataset_uri, asset=dataset_asset, properties={"sha256": digest})
        associate(sm, out[DATASET], run, "ContributedTo")
    associate(sm, run, model, "Produced")
    # Last: a package artifact something leads to is what is_recorded() takes for a whole chain.
    associate(sm, model, package, "ContributedTo")
    return out


def is_recorded(sm: Any, package_arn: str) -> bool:
    """Whether the registration lineage of ``package_arn`` was recorded to its end (the model ->
    package association, which :func:`record_registration` adds last)."""
    for found in paginate(
        sm, "list_artifacts", "ArtifactSummaries", SourceUri=package_arn, ArtifactType=PACKAGE
    ):
        for _ in paginate(
            sm, "list_associations", "AssociationSummaries", DestinationArn=found["ArtifactArn"]
        ):
            return True
    return False


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


def _context(sm: Any, *, uri: str, kind: str, name: str, properties: Mapping[str, Any]) -> str:
    for found in paginate(sm, "list_contexts", "ContextSummaries", SourceUri=uri, ContextType=kind):
        return str(found["ContextArn"])
    try:
        return str(
            sm.create_context(
                ContextName=_short(name, uri),
                Source={"SourceUri": uri},
                ContextType=kind,
                Properties=_props(properties),
            )["ContextArn"]
        )
    except ClientError:
        for found in paginate(sm, "list_contexts", "ContextSummaries", SourceUri=uri, ContextType=kind):
            return str(found["ContextArn"])
        raise


def record_endpoint_deployment(
    sm: Any,
    *,
    package_arn: str,
    env: str,
    endpoint_arn: str,
    config_arn: str,
    properties: Mapping[str, Any],
) -> dict[str, str]:
    """An endpoint as SageMaker's lineage tracking records one: a context ``Endpoint`` (SourceUri
    the endpoint ARN), an action ``ModelDeployment`` per endpoint config it served (SourceUri the
    config ARN), and ``package artifact --ContributedTo--> deployment --AssociatedWith-->
    endpoint``. Idempotent; returns the entity ARNs by kind."""
    package = package_artifact(sm, package_arn, env=env)
    endpoint = _context(
        sm,
        uri=endpoint_arn,
        kind=ENDPOINT,
        name=f"{endpoint_arn.rsplit('/', 1)[-1]}-{env}",
        properties={"environment": env},
    )
    action = _action(
        sm,
        uri=config_arn,
        kind=DEPLOYMENT,
        name=f"deployment-{config_arn.rsplit('/', 1)[-1]}",
        properties={"environment": env, "model_package": package_arn, **properties},
    )
    associate(sm, package, action, "ContributedTo")
    associate(sm, action, endpoint, "AssociatedWith")
    return {PACKAGE: package, DEPLOYMENT: action, ENDPOINT: endpoint}


#: The kind of the trial component SageMaker records for a batch transform job.
TRANSFORM = "TransformJob"
#: Kinds of the trial components SageMaker records for jobs (a pipeline's, a batch transform),
#: by their Source type.
JOB_KINDS = {
    "SageMakerProcessingJob": "ProcessingJob",
    "SageMakerTrainingJob": "TrainingJob",
    "SageMakerTransformJob": TRANSFORM,
}


def transform_trial_component(job_name: str) -> str:
    """The name of the trial component SageMaker records for transform job ``job_name`` (as it
    names a training job's ``<job>-aws-training-job``, SageMaker Python SDK
    ``lineage/visualizer.py``)."""
    return f"{job_name}-aws-transform-job"


def record_transform_job(sm: Any, *, package_arn: str, env: str, job_name: str) -> dict[str, str]:
    """A batch transform job of the version: SageMaker records the job as a trial component with
    its input (``DataSet``) --ContributedTo--> it --Produced--> its output (Developer Guide,
    "Amazon SageMaker AI-Created Tracking Entities"); the model it ran is not among them, so the
    kit adds ``package artifact --ContributedTo--> the job's trial component``. Idempotent;
    returns the entity ARNs by kind."""
    package = package_artifact(sm, package_arn, env=env)
    component = str(
        sm.describe_trial_component(TrialComponentName=transform_trial_component(job_name))[
            "TrialComponentArn"
        ]
    )
    associate(sm, package, component, "ContributedTo")
    return {PACKAGE: package, TRANSFORM: component}


#: Inputs of a pipeline's jobs that are their code, not their data: the SDK's FrameworkProcessor
#: (``code``, ``entrypoint``) and ModelTrainer (``code``, ``sm_drivers``) inputs, and the image.
CODE_INPUTS = frozenset({"code", "entrypoint", "sm_drivers", "SageMaker.ImageUri"})
_TRIAL_COMPONENT = ":experiment-trial-component/"


def _describe(sm: Any, arn: str) -> tuple[str, str, dict[str, str]]:
    """(kind, source uri, properties) of an artifact, action or job trial component ARN (a job's
    kind is ProcessingJob or TrainingJob, its source the job's ARN, its properties the job's
    hyperparameters as ``hp.<name>``)."""
    if _TRIAL_COMPONENT in arn:
        d = sm.describe_trial_component(TrialComponentName=arn.rsplit("/", 1)[-1])
        source = d.get("Source") or {}
        props = {
            f"hp.{k}": str(v.get("StringValue", v.get("NumberValue", "")))
            for k, v in (d.get("Parameters") or {}).items()
            if not k.startswith("SageMaker.")
        }
        return (
            JOB_KINDS.get(source.get("SourceType", ""), "TrialComponent"),
            source.get("SourceArn", ""),
            props,
        )
    if ":artifact/" in arn:
        d = sm.describe_artifact(ArtifactArn=arn)
        return d.get("ArtifactType", ""), d.get("Source", {}).get("SourceUri", ""), d.get("Properties") or {}
    d = sm.describe_action(ActionName=arn)  # ActionName accepts the ARN (API reference pattern)
    return d.get("ActionType", ""), d.get("Source", {}).get("SourceUri", ""), d.get("Properties") or {}


def _upstream(sm: Any, kind: str, arn: str, sources: list[str]) -> str:
    """The source the chain follows back from ``arn``.

    The kit's own records give one source per entity. What SageMaker records for a pipeline's
    jobs gives several (workflow lineage: the image and the model data of a version; a job's
    image, code and data inputs): from a job, its data inputs, preferring one another job
    produced (the chain goes on through that job to the pipeline's input); elsewhere the job or
    action before the image and code artifacts."""
    if len(sources) == 1:
        return sources[0]
    if kind in JOB_KINDS.values():
        inputs = (
            sm.describe_trial_component(TrialComponentName=arn.rsplit("/", 1)[-1]).get("InputArtifacts") or {}
        )
        data = {v.get("Value") for name, v in inputs.items() if name not in CODE_INPUTS}
        candidates = [s for s in sources if ":artifact/" in s and _describe(sm, s)[1] in data]
        produced = [
            c
            for c in candidates
            if any(
                _TRIAL_COMPONENT in a["SourceArn"]
                for a in paginate(sm, "list_associations", "AssociationSummaries", DestinationArn=c)
            )
        ]
        return sorted(produced or candidates or sources)[0]

    def rank(source: str) -> tuple[int, str]:
        if _TRIAL_COMPONENT in source or ":action/" in source:
            return (0, source)
        return (2 if _describe(sm, source)[0] == "Image" else 1, source)

    return sorted(sources, key=rank)[0]


class LineageError(GovernanceError):
    """The chain could not be followed: the message names the entity and the account."""


def walk_back(reader: Callable[[str], Any], package_arn: str, *, max_steps: int = 50) -> list[Node]:
    """The chain from ``package_arn`` back to its dataset (or to its training run, when it was
    registered without one), newest first, across accounts.

    ``reader(account_id)`` returns a SageMaker client that can read lineage in that account.
    The deployment actions and batch transform jobs of the starting version, when there are
    any, come first."""
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
        destination = assoc["DestinationArn"]
        if (
            assoc.get("DestinationType") == DEPLOYMENT
            or ":action/" in destination
            or _TRIAL_COMPONENT in destination
        ):
            kind, uri, props = _describe(sm, destination)
            if kind in (DEPLOYMENT, TRANSFORM):
                chain.append(Node(kind, destination, uri, account, props))
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
        sources = [
            a["SourceArn"]
            for a in paginate(sm, "list_associations", "AssociationSummaries", DestinationArn=current)
        ]
        if kind == DATASET and not any(_TRIAL_COMPONENT in s for s in sources):
            return chain  # a dataset no job of a pipeline produced: where the chain starts
        if not sources and kind == TRAINING:
            return chain  # registered without a dataset: the training run is where it starts
        if not sources:
            raise LineageError(
                f"lineage of {package_arn} stops at {kind} {uri} in account {account}: nothing leads to it"
            )
        current = _upstream(sm, kind, current, sources)
    raise LineageError(f"lineage of {package_arn} is longer than {max_steps} steps")


# -- mlgov lineage -------------------------------------------------------------------------------
#: The role a lineage walk reads every account as, by default: the model approver, the one role
#: whose policy grants the whole lineage read (List and Describe of artifacts and actions,
#: modules/roles.py ``ReportSearchAndLineage``/``ReportDescribeLineage``; the promotion role may list
#: but not describe) and nothing that writes an artifact or registers a version. The reviewer who
#: reads a version's lineage is the one who approves it.
READER_ROLE = "approver"


def lineage_of(
    platform: PlatformConfig,
    env_name: str,
    version: str,
    *,
    use_case: str | None = None,
    role: str = READER_ROLE,
    source: boto3.Session | None = None,
) -> dict[str, Any]:
    """The chain of ``version`` of ``use_case`` in ``env_name``, back to its dataset, each
    account read as that environment's ``role``."""
    ctx = env_context(platform, env_name, role, job="lineage", source=source)
    use_case = resolve_use_case(ctx.env, use_case)
    arn = resolve_version(ctx, use_case, version)
    env_of_account = {e.account_id: e.name for e in platform.environments.values()}
    contexts: dict[str, EnvContext] = {ctx.env.account_id: ctx}

    def reader(account: str) -> Any:
        if account not in contexts:
            if account not in env_of_account:
                raise LineageError(
                    f"the lineage of {arn} leads to account {account}, which is no environment of "
                    "this platform (no file in environments/ has that account_id)"
                )
            contexts[account] = env_context(
                platform, env_of_account[account], role, job="lineage", source=source
            )
        return contexts[account].client("sagemaker")

    with kit_errors():
        chain = walk_back(reader, arn)
    nodes = [{**n.to_dict(), "environment": env_of_account.get(n.account, "?")} for n in chain]
    return {
        "environment": env_name,
        "use_case": use_case,
        "version": arn,
        "reaches_dataset": bool(chain) and chain[-1].kind == DATASET,
        "chain": nodes,
    }


_DETAIL_KEYS = {
    DATASET: ("sha256", ASSET_ID, ASSET_NAME),
    TRAINING: ("algorithm", "dataset_sha256", "dataset_asset_id", "dataset_asset_revision"),
    MODEL: (),
    PACKAGE: (),
    DEPLOYMENT: ("reason", "deployed_at"),
}


def render(result: dict[str, Any]) -> str:
    """The chain, newest first, one entity a line: kind, environment (account), what it stands
    for, and the properties a reader checks (the dataset hash, the algorithm)."""
    lines = [f"lineage of {result['version']} ({result['environment']}, use case {result['use_case']})"]
    for i, node in enumerate(result["chain"]):
        props = node["properties"]
        details = [f"{k}={props[k]}" for k in _DETAIL_KEYS.get(node["kind"], ()) if k in props]
        details += [f"{k}={v}" for k, v in sorted(props.items()) if k.startswith(("hp.", "metric."))]
        arrow = "   " if i == 0 else "<- "
        lines.append(
            f"{arrow}{node['kind']:<16} {node['environment']} ({node['account']})  {node['source_uri']}"
            + (f"\n      {' '.join(details)}" if details else "")
        )
    if not result["reaches_dataset"]:
        lines.append("   (no dataset was recorded when this version was registered)")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = common_parser(
        prog="mlgov lineage",
        description="Print the lineage of a model version: back from the version (and its deployment) "
        "through every promotion to the training run and the dataset in the first environment.",
        writes=False,
    )
    p.add_argument("--version", required=True, help="version number (or model package ARN) in --env")
    p.add_argument(
        "--use-case",
        default=None,
        help="use case name from the environment file (required when the environment has several; default: its only one)",
    )
    p.add_argument(
        "--role",
        default=READER_ROLE,
        choices=ROLE_KEYS,
        help=f"role to read each environment's lineage as (default: {READER_ROLE})",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    def job(a: argparse.Namespace) -> dict[str, Any]:
        return lineage_of(load_platform(a.config_dir), a.env, a.version, use_case=a.use_case, role=a.role)

    return command.main(build_parser(), argv, job, render=render)


if __name__ == "__main__":
    sys.exit(main())

"""SageMaker ML Lineage Tracking on the governance backend: artifacts, actions and contexts, and
the associations between them (and experiments and trial components).

:class:`LineageBackend` holds their state and rules; :class:`~.models.GovernanceSageMakerBackend`
is composed of it.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
from datetime import datetime
from typing import Any, ClassVar

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceNotFound, ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.utils import arn_formatter
from moto.utilities.paginator import paginate

from .utils import PAGINATION_MODEL, sort_by_order, without_none

#: botocore's AssociationEntityArn pattern.
ASSOCIATION_ENTITY_ARN = re.compile(
    r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:"
    r"(experiment|experiment-trial-component|artifact|action|context)/.*"
)
LINEAGE_ARN_TYPES = {"Artifact": "artifact", "Action": "action", "Context": "context"}


#: A trial component's ``Source.SourceType`` (the job SageMaker made it for) -> its vertex Type.
TRIAL_COMPONENT_SOURCE_TYPES = {
    "SageMakerTrainingJob": "TrainingJob",
    "SageMakerProcessingJob": "ProcessingJob",
    "SageMakerTransformJob": "TransformJob",
}


class LineageEntity(BaseModel):
    """An artifact, action or context: the lineage entities SageMaker ML Lineage Tracking keeps."""

    def __init__(
        self,
        kind: str,
        name: str | None,
        arn: str,
        source: dict[str, Any],
        entity_type: str,
        description: str | None,
        status: str | None,
        properties: dict[str, str] | None,
        metadata_properties: dict[str, Any] | None,
        tags: list[dict[str, str]] | None,
    ) -> None:
        self.kind = kind
        self.name = name
        self.arn = arn
        self.source = source
        self.entity_type = entity_type
        self.description = description
        self.status = status
        self.properties = properties
        self.metadata_properties = metadata_properties
        self.tags = list(tags or [])
        self.creation_time = utcnow()
        self.last_modified_time = self.creation_time

    def describe(self) -> dict[str, Any]:
        k = self.kind
        result = {
            f"{k}Name": self.name,
            f"{k}Arn": self.arn,
            "Source": self.source,
            f"{k}Type": self.entity_type,
            "Description": self.description if k != "Artifact" else None,
            "Status": self.status if k == "Action" else None,
            "Properties": self.properties,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "MetadataProperties": self.metadata_properties if k != "Context" else None,
        }
        return without_none(result)

    def summary(self) -> dict[str, Any]:
        k = self.kind
        result = {
            f"{k}Arn": self.arn,
            f"{k}Name": self.name,
            "Source": self.source,
            f"{k}Type": self.entity_type,
            "Status": self.status if k == "Action" else None,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
        }
        return without_none(result)


class Association(BaseModel):
    """An AddAssociation edge from a source to a destination entity."""

    def __init__(
        self,
        source_arn: str,
        destination_arn: str,
        association_type: str | None,
        source_type: str,
        destination_type: str,
        source_name: str | None,
        destination_name: str | None,
    ) -> None:
        self.source_arn = source_arn
        self.destination_arn = destination_arn
        self.association_type = association_type
        self.source_type = source_type
        self.destination_type = destination_type
        self.source_name = source_name
        self.destination_name = destination_name
        self.creation_time = utcnow()

    def summary(self) -> dict[str, Any]:
        result = {
            "SourceArn": self.source_arn,
            "DestinationArn": self.destination_arn,
            "SourceType": self.source_type,
            "DestinationType": self.destination_type,
            "AssociationType": self.association_type,
            "SourceName": self.source_name,
            "DestinationName": self.destination_name,
            "CreationTime": self.creation_time,
        }
        return without_none(result)


class Vertex:
    """A QueryLineage vertex: an entity reached from the start ARNs."""

    def __init__(self, arn: str, entity_type: str | None, lineage_type: str | None, entity: Any) -> None:
        self.arn = arn
        self.entity_type = entity_type
        self.lineage_type = lineage_type
        self.entity = entity

    def matches(self, filters: dict[str, Any]) -> bool:
        """QueryFilters: every filter named must hold (Properties: any of the pairs)."""
        if filters.get("Types") and self.entity_type not in filters["Types"]:
            return False
        if filters.get("LineageTypes") and self.lineage_type not in filters["LineageTypes"]:
            return False
        entity = self.entity
        for member, attribute, after in (
            ("CreatedBefore", "creation_time", False),
            ("CreatedAfter", "creation_time", True),
            ("ModifiedBefore", "last_modified_time", False),
            ("ModifiedAfter", "last_modified_time", True),
        ):
            bound = filters.get(member)
            if bound is None:
                continue
            value = getattr(entity, attribute, None) if entity is not None else None
            if value is None or (value <= bound if after else value >= bound):
                return False
        wanted = filters.get("Properties")
        if wanted:
            properties = (entity.properties or {}) if entity is not None else {}
            if not any(properties.get(k) == v for k, v in wanted.items()):
                return False
        return True

    def describe(self) -> dict[str, Any]:
        return without_none({"Arn": self.arn, "Type": self.entity_type, "LineageType": self.lineage_type})


class LineageBackend(SageMakerModelBackend):
    """The lineage operations of the governance backend (state set by :meth:`init_lineage_state`)."""

    #: Set by ``GovernanceSageMakerBackend.init_governance_state``; shared with the registry.
    registry_lock: threading.RLock

    _ASSOCIATION_SORT_KEYS: ClassVar[dict[str, str]] = {
        "SourceArn": "source_arn",
        "DestinationArn": "destination_arn",
        "SourceType": "source_type",
        "DestinationType": "destination_type",
    }

    def init_lineage_state(self) -> None:
        self.lineage: dict[str, LineageEntity] = {}
        self.associations: dict[tuple[str, str], Association] = {}

    def create_lineage_entity(
        self,
        kind: str,
        name: str | None,
        source: dict[str, Any],
        entity_type: str,
        description: str | None = None,
        status: str | None = None,
        properties: dict[str, str] | None = None,
        metadata_properties: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> str:
        """CreateArtifact, CreateAction, CreateContext (``kind`` says which)."""
        with self.registry_lock:
            if not source or not source.get("SourceUri"):
                raise ValidationError(f"{kind} Source.SourceUri is required.")
            if name:
                resource_id = name.lower()
            else:
                # Unnamed artifacts get a content-independent 32-hex id, as AWS does.
                resource_id = hashlib.md5(f"{random.random()}{utcnow()}".encode()).hexdigest()
            arn = arn_formatter(LINEAGE_ARN_TYPES[kind], resource_id, self.account_id, self.region_name)
            if arn in self.lineage:
                raise ValidationError(f"{kind} {name} already exists with ARN {arn}.")
            self.lineage[arn] = LineageEntity(
                kind=kind,
                name=name,
                arn=arn,
                source=source,
                entity_type=entity_type,
                description=description,
                status=status,
                properties=properties,
                metadata_properties=metadata_properties,
                tags=tags,
            )
            return arn

    def get_lineage_entity(self, kind: str, name_or_arn: str) -> LineageEntity:
        if name_or_arn.startswith("arn:"):
            arn = name_or_arn
        else:
            arn = arn_formatter(
                LINEAGE_ARN_TYPES[kind], name_or_arn.lower(), self.account_id, self.region_name
            )
        entity = self.lineage.get(arn)
        if entity is None or entity.kind != kind:
            raise ResourceNotFound(f"{kind} {name_or_arn} does not exist.")
        return entity

    def delete_lineage_entity(self, kind: str, name_or_arn: str) -> str:
        """DeleteArtifact, DeleteAction, DeleteContext (their associations go with them)."""
        entity = self.get_lineage_entity(kind, name_or_arn)
        del self.lineage[entity.arn]
        for key in [k for k in self.associations if entity.arn in k]:
            del self.associations[key]
        return entity.arn

    def delete_artifact(self, artifact_arn: str | None, source_uri: str | None) -> str:
        """DeleteArtifact names the artifact by ARN or by its Source."""
        if artifact_arn:
            return self.delete_lineage_entity("Artifact", artifact_arn)
        matches = self._lineage_entities("Artifact", source_uri=source_uri)
        if not matches:
            raise ResourceNotFound("No artifact has that source.")
        return self.delete_lineage_entity("Artifact", matches[0].arn)

    def _lineage_entities(
        self,
        kind: str,
        source_uri: str | None = None,
        entity_type: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> list[LineageEntity]:
        found = [
            e
            for e in self.lineage.values()
            if e.kind == kind
            and (source_uri is None or e.source.get("SourceUri") == source_uri)
            and (entity_type is None or e.entity_type == entity_type)
            and (created_after is None or e.creation_time > created_after)
            and (created_before is None or e.creation_time < created_before)
        ]
        key = (lambda e: e.name or "") if sort_by == "Name" else (lambda e: e.creation_time)
        return sort_by_order(found, key, sort_order)

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_lineage_entities(
        self,
        kind: str,
        source_uri: str | None,
        entity_type: str | None,
        created_after: datetime | None,
        created_before: datetime | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[LineageEntity]:
        """ListArtifacts, ListActions, ListContexts."""
        return self._lineage_entities(
            kind, source_uri, entity_type, created_after, created_before, sort_by, sort_order
        )

    def _lineage_type_and_name(self, arn: str) -> tuple[str, str | None]:
        entity = self.lineage.get(arn)
        if entity is not None:
            return entity.entity_type, entity.name
        resource = arn.split(":", 5)[-1]
        resource_type = resource.split("/")[0]
        camel = "".join(part.title() for part in resource_type.split("-"))
        return camel, resource.split("/", 1)[-1]

    def _check_lineage_endpoint(self, arn: str) -> None:
        parts = arn.split(":")
        if len(parts) < 6 or parts[2] != "sagemaker":
            return
        if parts[4] != self.account_id or parts[3] != self.region_name:
            # Cross-account ARNs (a promoted version's upstream source) are recorded as given.
            return
        resource_type = parts[5].split("/")[0]
        if resource_type in LINEAGE_ARN_TYPES.values() and arn not in self.lineage:
            raise ResourceNotFound(f"Lineage entity {arn} does not exist.")

    def add_association(self, source_arn: str, destination_arn: str, association_type: str | None) -> None:
        """AddAssociation (idempotent for the same pair).

        Only lineage entities can be associated (the model's AssociationEntityArn pattern):
        experiments, trial components, artifacts, actions and contexts. A model package takes
        part through an artifact or action whose SourceUri is the package ARN.
        """
        for role, arn in (("SourceArn", source_arn), ("DestinationArn", destination_arn)):
            if not ASSOCIATION_ENTITY_ARN.fullmatch(arn):
                raise ValidationError(
                    f"Value '{arn}' at '{role[0].lower() + role[1:]}' failed to satisfy constraint: "
                    f"Member must satisfy regular expression pattern: {ASSOCIATION_ENTITY_ARN.pattern}"
                )
        self._check_lineage_endpoint(source_arn)
        self._check_lineage_endpoint(destination_arn)
        key = (source_arn, destination_arn)
        if key in self.associations:
            return
        source_type, source_name = self._lineage_type_and_name(source_arn)
        destination_type, destination_name = self._lineage_type_and_name(destination_arn)
        self.associations[key] = Association(
            source_arn=source_arn,
            destination_arn=destination_arn,
            association_type=association_type,
            source_type=source_type,
            destination_type=destination_type,
            source_name=source_name,
            destination_name=destination_name,
        )

    def delete_association(self, source_arn: str, destination_arn: str) -> None:
        if self.associations.pop((source_arn, destination_arn), None) is None:
            raise ResourceNotFound(f"Association from {source_arn} to {destination_arn} does not exist.")

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_associations(
        self,
        source_arn: str | None,
        destination_arn: str | None,
        source_type: str | None,
        destination_type: str | None,
        association_type: str | None,
        created_after: datetime | None,
        created_before: datetime | None,
        sort_by: str | None,
        sort_order: str | None,
    ) -> list[Association]:
        """ListAssociations with every filter the API defines."""
        found = [
            a
            for a in self.associations.values()
            if (source_arn is None or a.source_arn == source_arn)
            and (destination_arn is None or a.destination_arn == destination_arn)
            and (source_type is None or a.source_type == source_type)
            and (destination_type is None or a.destination_type == destination_type)
            and (association_type is None or a.association_type == association_type)
            and (created_after is None or a.creation_time > created_after)
            and (created_before is None or a.creation_time < created_before)
        ]
        attribute = self._ASSOCIATION_SORT_KEYS.get(sort_by or "", "creation_time")
        return sort_by_order(found, lambda a: getattr(a, attribute), sort_order)

    def update_lineage_entity(
        self,
        kind: str,
        name_or_arn: str,
        *,
        name: str | None = None,
        description: str | None = None,
        status: str | None = None,
        properties: dict[str, str] | None = None,
        properties_to_remove: list[str] | None = None,
    ) -> str:
        """UpdateArtifact (its name), UpdateAction (description, status), UpdateContext
        (description); properties merged, then those named in PropertiesToRemove removed."""
        with self.registry_lock:
            entity = self.get_lineage_entity(kind, name_or_arn)
            if name is not None:
                entity.name = name
            if description is not None:
                entity.description = description
            if status is not None:
                entity.status = status
            merged = {**(entity.properties or {}), **(properties or {})}
            for key in properties_to_remove or []:
                merged.pop(key, None)
            entity.properties = merged or None
            entity.last_modified_time = utcnow()
            return entity.arn

    def lineage_graph(
        self,
        start_arns: list[str],
        direction: str,
        filters: dict[str, Any] | None,
        max_depth: int,
    ) -> tuple[list[Vertex], list[Association]]:
        """QueryLineage's graph: the entities reached from ``start_arns`` along associations
        (Ascendants: against their direction, Descendants: with it, Both: either), at most
        ``max_depth`` associations away, that pass ``filters``; and the associations walked.
        The start entities are where the query stands, not results (Developer Guide, "Querying
        Lineage Entities")."""
        for arn in start_arns:
            self._check_lineage_endpoint(arn)
        associations = list(self.associations.values())
        seen = set(start_arns)
        frontier = list(start_arns)
        walked: list[Association] = []
        reached: list[str] = []
        for _ in range(max_depth):
            following: list[str] = []
            for current in frontier:
                for edge in associations:
                    if direction in ("Descendants", "Both") and edge.source_arn == current:
                        neighbour = edge.destination_arn
                    elif direction in ("Ascendants", "Both") and edge.destination_arn == current:
                        neighbour = edge.source_arn
                    else:
                        continue
                    if edge not in walked:
                        walked.append(edge)
                    if neighbour not in seen:
                        seen.add(neighbour)
                        following.append(neighbour)
                        reached.append(neighbour)
            frontier = following
            if not frontier:
                break
        vertices = [self._vertex(arn) for arn in reached]
        return [v for v in vertices if v.matches(filters or {})], walked

    def _vertex(self, arn: str) -> Vertex:
        entity = self.lineage.get(arn)
        if entity is not None:
            return Vertex(arn, entity.entity_type, entity.kind, entity)
        resource_type = arn.split(":", 5)[-1].split("/")[0]
        lineage_type = {"experiment-trial-component": "TrialComponent"}.get(resource_type)
        entity_type = None
        if lineage_type == "TrialComponent":
            # A job's trial component is a vertex of the job's type, as the SageMaker SDK's
            # LineageSourceEnum reads it (TrainingJob, ProcessingJob, TransformJob).
            component = next(
                (c for c in getattr(self, "trial_components", {}).values() if getattr(c, "arn", None) == arn),
                None,
            )
            source = getattr(component, "source", None) or {}
            entity_type = TRIAL_COMPONENT_SOURCE_TYPES.get(str(source.get("SourceType")))
        return Vertex(arn, entity_type, lineage_type, None)

    @paginate(pagination_model=PAGINATION_MODEL)
    def query_lineage(
        self, start_arns: list[str], direction: str, filters: dict[str, Any] | None, max_depth: int
    ) -> list[Vertex]:
        """QueryLineage's vertices a page at a time (``lineage_graph``'s)."""
        return self.lineage_graph(start_arns, direction, filters, max_depth)[0]

    def _get_resource_from_arn(self, arn: str) -> Any:
        """The artifact, action or context an ARN names (tag operations); others are the next
        class's to find."""
        if arn.split(":", 5)[-1].partition("/")[0] in LINEAGE_ARN_TYPES.values():
            entity = self.lineage.get(arn)
            if entity is None:
                raise ResourceNotFound(f"Lineage entity {arn} does not exist.")
            return entity
        return super()._get_resource_from_arn(arn)

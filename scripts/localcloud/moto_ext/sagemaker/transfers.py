"""A job's S3 data moved as its role: inputs into its ``/opt/ml`` before the command runs, outputs
back after it ends.

Every call goes through the role's S3 client (:class:`.service_role.RoleSession`), so IAM
policies, bucket policies and key policies decide as they do for any client; a refusal becomes
the job's failure reason. The reasons start as SageMaker's do (``ClientError: ...``); the "no
objects" reason is AWS's wording for an empty S3Prefix channel (Developer Guide, "Troubleshoot
training jobs").

S3Prefix: every object whose key starts with the prefix, written under the local directory by
its key less the prefix (an object named exactly by the prefix keeps its base name). ManifestFile:
the manifest's ``{"prefix": ...}`` followed by the keys relative to it (API reference,
``S3DataSource.S3Uri``).
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path, PurePosixPath
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError


class TransferError(RuntimeError):
    """A download or upload failed; the message is the job's failure reason."""


def split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise TransferError(f"ClientError: {uri} is not an S3 URI (s3://bucket/key).")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def _refused(verb: str, err: Exception, what: str) -> TransferError:
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
        detail = f"{error.get('Code')} ({status}): {error.get('Message')}"
    else:
        detail = str(err)
    return TransferError(f"ClientError: Failed to {verb} data. {detail} ({what})")


def _keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", []) if not item["Key"].endswith("/")]
    return keys


def _local_name(key: str, prefix: str) -> str:
    relative = key[len(prefix) :].lstrip("/")
    return relative or PurePosixPath(key).name


def _fetch(s3: Any, bucket: str, key: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    target.write_bytes(body.read())


def download(s3: Any, uri: str, local: Path, data_type: str, *, role_arn: str, region: str) -> list[str]:
    """Download ``uri`` into ``local``; returns the S3 URIs of the objects read."""
    bucket, prefix = split_s3(uri)
    try:
        if data_type == "ManifestFile":
            manifest = json.loads(s3.get_object(Bucket=bucket, Key=prefix)["Body"].read())
            base_bucket, base = split_s3(manifest[0]["prefix"])
            pairs = [(base_bucket, f"{base}{relative}", relative) for relative in manifest[1:]]
        else:
            pairs = [(bucket, key, _local_name(key, prefix)) for key in _keys(s3, bucket, prefix)]
        if not pairs:
            raise TransferError(
                f'ClientError: No S3 objects found under S3 URL "{uri}" given in input data source. Please '
                f"ensure that the bucket exists in the selected region ({region}), that objects exist under "
                f'that S3 prefix, and that the role "{role_arn}" has "s3:ListBucket" permissions on bucket '
                f'"{bucket}".'
            )
        for source_bucket, key, relative in pairs:
            _fetch(s3, source_bucket, key, local / relative)
    except (ClientError, BotoCoreError) as err:
        raise _refused("download", err, uri) from None
    except (ValueError, KeyError, IndexError, TypeError) as err:
        raise TransferError(f"ClientError: the manifest file {uri} is not a valid manifest: {err}") from None
    return [f"s3://{b}/{k}" for b, k, _ in pairs]


def _put(s3: Any, path: Path, uri: str, kms_key: str | None) -> None:
    bucket, key = split_s3(uri)
    extra: dict[str, Any] = {}
    if kms_key:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key}
    try:
        with path.open("rb") as body:
            s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)
    except (ClientError, BotoCoreError) as err:
        raise _refused("upload", err, uri) from None


def upload_directory(s3: Any, local: Path, uri: str, kms_key: str | None) -> list[str]:
    """Upload every file under ``local`` to ``uri``/<relative path>; returns what was written."""
    written = []
    base = uri.rstrip("/")
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        target = f"{base}/{path.relative_to(local).as_posix()}"
        _put(s3, path, target, kms_key)
        written.append(target)
    return written


def upload_file(s3: Any, path: Path, uri: str, kms_key: str | None) -> str:
    _put(s3, path, uri, kms_key)
    return uri


def tar_directory(directory: Path, archive: Path) -> Path:
    """``directory``'s contents as a gzipped tarball (what SageMaker uploads as model.tar.gz)."""
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(directory.iterdir()):
            tar.add(path, arcname=path.name)
    return archive

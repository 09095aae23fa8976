"""Endpoint data capture: requests and responses written to S3 in SageMaker's capture format.

Followed: the Developer Guide's "Capture data from real-time endpoint" and "Data capture"
pages, the API reference's ``DataCaptureConfig`` / ``CaptureContentTypeHeader``, and captured
files as SageMaker writes them (the SageMaker Python SDK's ``tests/data/monitor/*.jsonl``, keys
such as ``.../AllTraffic/2020/03/11/12/32-18-648-cee08c3a-...jsonl``):

* one JSON line per sampled invocation::

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                       "data": "...", "encoding": "CSV"},
                     "endpointOutput": {... "mode": "OUTPUT" ...}},
     "eventMetadata": {"eventId": "<uuid>", "inferenceTime": "2026-01-01T12:00:00Z"},
     "eventVersion": "0"}

  ``endpointInput`` / ``endpointOutput`` as ``CaptureOptions`` asks; ``encoding`` ``CSV`` or
  ``JSON`` (the data as text) when the observed content type is one of
  ``CaptureContentTypeHeader.CsvContentTypes`` / ``JsonContentTypes`` (matched on the media type,
  parameters such as ``; charset=utf-8`` aside), else ``BASE64``, which is the API reference's
  default when no header lists are given; ``eventMetadata.inferenceId`` when the request had one;
* files at ``<DestinationS3Uri>/<endpoint>/<variant>/<yyyy>/<mm>/<dd>/<hh>/<MM>-<SS>-<mmm>-<uuid>.jsonl``,
  the hour and the name taken from the file's first record (UTC);
* written by SageMaker as the variant's model execution role (its policies must allow
  ``s3:PutObject`` there), with ``ServerSideEncryption=aws:kms`` and the ``KmsKeyId`` when the
  config names one;
* ``InitialSamplingPercentage`` of the invocations, drawn at random.

Records are buffered per variant and written every ``MLGOV_LOCALCLOUD_CAPTURE_FLUSH_S`` seconds
(default 1, read when the endpoint is deployed; SageMaker writes every few minutes), and at
once when the variant's fleet stops (UpdateEndpoint, DeleteEndpoint); :func:`flush_all` writes
everything buffered, which a test calls (in-process) or waits for by listing the prefix.
A write refused by IAM is dropped and logged, as SageMaker drops captures it cannot deliver.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger(__name__)

FLUSH_ENV = "MLGOV_LOCALCLOUD_CAPTURE_FLUSH_S"
DEFAULT_FLUSH_S = 1.0


def flush_interval() -> float:
    raw = os.environ.get(FLUSH_ENV)
    return DEFAULT_FLUSH_S if raw in (None, "") else max(float(raw), 0.0)


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class CaptureSettings:
    """An endpoint config's DataCaptureConfig, as captured invocations need it."""

    destination: str
    sampling_percentage: int
    capture_input: bool
    capture_output: bool
    kms_key_id: str | None
    csv_types: tuple[str, ...]
    json_types: tuple[str, ...]

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> CaptureSettings | None:
        if not config or config.get("EnableCapture") is False:
            return None
        modes = {option.get("CaptureMode") for option in config.get("CaptureOptions") or []}
        header = config.get("CaptureContentTypeHeader") or {}
        return cls(
            destination=str(config["DestinationS3Uri"]).rstrip("/"),
            sampling_percentage=int(config.get("InitialSamplingPercentage", 0)),
            capture_input=bool(modes & {"Input", "InputAndOutput"}),
            capture_output=bool(modes & {"Output", "InputAndOutput"}),
            kms_key_id=config.get("KmsKeyId") or None,
            csv_types=tuple(_media(t) for t in header.get("CsvContentTypes") or []),
            json_types=tuple(_media(t) for t in header.get("JsonContentTypes") or []),
        )

    def sampled(self) -> bool:
        return random.random() * 100 < self.sampling_percentage

    def encode(self, payload: bytes, content_type: str | None, mode: str) -> dict[str, str]:
        media = _media(content_type)
        if media and media in self.csv_types:
            encoding, data = "CSV", payload.decode("utf-8", "replace")
        elif media and media in self.json_types:
            encoding, data = "JSON", payload.decode("utf-8", "replace")
        else:
            encoding, data = "BASE64", base64.b64encode(payload).decode("ascii")
        return {"observedContentType": content_type or "", "mode": mode, "data": data, "encoding": encoding}

    def record(
        self,
        *,
        request: bytes,
        request_type: str | None,
        response: bytes,
        response_type: str | None,
        at: datetime,
        inference_id: str | None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.capture_input:
            data["endpointInput"] = self.encode(request, request_type, "INPUT")
        if self.capture_output:
            data["endpointOutput"] = self.encode(response, response_type, "OUTPUT")
        metadata = {"eventId": str(uuid.uuid4()), "inferenceTime": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if inference_id:
            metadata["inferenceId"] = inference_id
        return {"captureData": data, "eventMetadata": metadata, "eventVersion": "0"}


#: Writes one object: (bucket, key, body, kms key id or None).
Uploader = Callable[[str, str, bytes, "str | None"], None]


@dataclass(eq=False)
class CaptureBuffer:
    """The captured records of one variant, waiting to be written."""

    endpoint: str
    variant: str
    settings: CaptureSettings
    upload: Uploader
    interval: float = field(default_factory=flush_interval)
    records: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)
    oldest: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, at: datetime, record: dict[str, Any]) -> None:
        with self.lock:
            if not self.records:
                self.oldest = time.monotonic()
            self.records.append((at, record))
        _ensure_flusher()

    def due(self) -> bool:
        return self.oldest is not None and time.monotonic() - self.oldest >= self.interval

    def flush(self) -> None:
        with self.lock:
            records, self.records, self.oldest = self.records, [], None
        by_hour: dict[str, list[tuple[datetime, dict[str, Any]]]] = {}
        for at, record in records:
            by_hour.setdefault(at.strftime("%Y/%m/%d/%H"), []).append((at, record))
        bucket, _, prefix = self.settings.destination.removeprefix("s3://").partition("/")
        for hour, group in by_hour.items():
            first = group[0][0]
            name = f"{first:%M-%S}-{first.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
            key = "/".join(p for p in (prefix, self.endpoint, self.variant, hour, name) if p)
            body = "".join(json.dumps(record, separators=(",", ":")) + "\n" for _, record in group).encode()
            try:
                self.upload(bucket, key, body, self.settings.kms_key_id)
            except (BotoCoreError, ClientError) as error:  # SageMaker drops a capture it cannot deliver
                log.warning(
                    "data capture of %s/%s not written to s3://%s/%s: %s",
                    self.endpoint,
                    self.variant,
                    bucket,
                    key,
                    error,
                )


_buffers: weakref.WeakSet[CaptureBuffer] = weakref.WeakSet()
_flusher: threading.Thread | None = None
_flusher_lock = threading.Lock()


def register(buffer: CaptureBuffer) -> CaptureBuffer:
    _buffers.add(buffer)
    return buffer


def _ensure_flusher() -> None:
    global _flusher
    with _flusher_lock:
        if _flusher is None or not _flusher.is_alive():
            _flusher = threading.Thread(target=_flush_loop, name="data-capture-flusher", daemon=True)
            _flusher.start()


def _flush_loop() -> None:
    while True:
        time.sleep(0.1)
        for buffer in list(_buffers):
            if buffer.due():
                buffer.flush()


def flush_all() -> None:
    """Write every buffered record now."""
    for buffer in list(_buffers):
        buffer.flush()

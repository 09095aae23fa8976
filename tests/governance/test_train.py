"""train: the same spec gives the same archive, byte for byte, whenever it is trained."""

from __future__ import annotations

import gzip
import io
import tarfile
import time

from scripts.governance import train


def test_two_trainings_give_identical_bytes(monkeypatch):
    spec = train.DEFAULT_SPECS[2]  # the stump: the quickest to fit
    first = train.train(spec)
    real = time.time
    # A day later: a timestamp anywhere in the archive would differ.
    monkeypatch.setattr(time, "time", lambda: real() + 86_400)
    second = train.train(spec)
    assert second.model_tar_gz == first.model_tar_gz
    assert second.evaluation_report == first.evaluation_report
    assert second.idempotency_key == first.idempotency_key


def test_archive_carries_no_time_or_owner():
    archive = train.train(train.DEFAULT_SPECS[2]).model_tar_gz
    assert archive[4:8] == b"\0\0\0\0"  # gzip header MTIME
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["hyperparameters.json", "model.joblib"]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {(0, 0, 0, "", "", 0o644)}
    assert gzip.decompress(archive)  # a whole, valid gzip stream

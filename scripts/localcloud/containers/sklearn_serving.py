"""The SageMaker scikit-learn serving container's model server, as the local cloud runs it.

The local cloud starts one of these per production variant (``container.py``), in a private mount
namespace where ``/opt/ml/model`` is the variant's extracted model archive, exactly as a
SageMaker hosting instance mounts it. What it does is what the scikit-learn container 1.2-1 does in
single-model mode: its ``sagemaker_sklearn_container/serving.py`` on top of
``sagemaker-containers`` 2.8.6.post2 (``_env``, ``_modules``, ``_transformer``, ``_worker``,
``_encoders``), read from aws/sagemaker-scikit-learn-container and aws/sagemaker-containers:

* the user module is ``SAGEMAKER_PROGRAM`` (``inference.py`` -> ``inference``) found in
  ``SAGEMAKER_SUBMIT_DIRECTORY`` (default ``/opt/ml/code``), copied to ``/opt/ml/code`` and
  imported from there; without ``SAGEMAKER_PROGRAM`` there is no module and the server cannot
  start, as the container cannot;
* ``model_fn(model_dir)`` (no default: the container raises ``NotImplementedError``), then
  ``input_fn(body, content_type)``, ``predict_fn(data, model)``, ``output_fn(prediction,
  accept)``, or ``transform_fn(model, body, content_type, accept)`` alone; an absent function
  takes the container's default (CSV ``text/csv``, JSON ``application/json`` and NPY
  ``application/x-npy`` decoded to a float32 array, ``model.predict``, the prediction encoded as
  ``accept``);
* the model loads on the first request (``/ping`` included), as the container's WSGI app does;
  until it has loaded every request answers 500, so a model that cannot load fails the health
  check;
* every user function (defaults included) is wrapped in the container's ``ClientError``, so an
  unsupported content type or Accept answers **500**, not 415/406: ``_default_transform_fn``
  catches only ``UnsupportedFormatError``, which the wrapper has already turned into a
  ``ClientError``. Flask's plain 500 page is the body, as from the container;
* ``Accept`` missing or ``*/*`` means ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`` (default
  ``application/json``); a ``text/*`` response type carries ``; charset=utf-8`` (Flask's).

Not reproduced: gunicorn's worker processes (one process, a thread per request), nginx, the
``pip install`` of the code directory and its ``requirements.txt`` (the kit's Python environment
is what the module imports from; a ``requirements.txt`` is logged as not installed).

Run as ``python -m scripts.localcloud.containers.sklearn_serving`` with the container's
environment; it exits when its parent (the local cloud) is gone.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import logging
import os
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

log = logging.getLogger("sagemaker_sklearn_container.serving")

BASE_DIR = Path(os.environ.get("SAGEMAKER_BASE_DIR", "/opt/ml"))
MODEL_DIR = str(BASE_DIR / "model")
CODE_DIR = BASE_DIR / "code"

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
ANY = "*/*"
UTF8_TYPES = (JSON, CSV)

#: Parent process to watch: the local cloud. When it is gone the model server exits with it.
PARENT_PID_ENV = "MLGOV_LOCALCLOUD_PARENT_PID"

#: Flask's body for an unhandled error (werkzeug ``InternalServerError``), what the container
#: sends for any exception in a user function.
INTERNAL_SERVER_ERROR_PAGE = (
    "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
    "<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable "
    "to complete your request. Either the server is overloaded or there is an error in the "
    "application.</p>\n"
)


class ClientError(Exception):
    """``sagemaker_containers._errors.ClientError``: a user function failed."""


class UnsupportedFormatError(Exception):
    """``sagemaker_containers._errors.UnsupportedFormatError``."""

    def __init__(self, content_type: str) -> None:
        self.message = (
            f"Content type {content_type} is not supported by this framework.\n\n"
            "Please implement input_fn to to deserialize the request data or an output_fn to\n"
            "serialize the response. For more information, see the SageMaker Python SDK README."
        )
        super().__init__(self.message)


class Response:
    """``sagemaker_containers._worker.Response``: a body, its status and its mimetype."""

    def __init__(self, response: Any = None, status: int = 200, mimetype: str | None = None) -> None:
        self.body = response if isinstance(response, bytes) else str(response or "").encode("utf-8")
        self.status = status
        self.mimetype = mimetype or JSON


# -- sagemaker_containers._encoders ------------------------------------------------------------
def _csv_to_numpy(string_like: str, dtype: Any = None) -> Any:
    import numpy as np

    try:
        reader = csv.reader(
            io.StringIO(string_like), delimiter=",", quotechar='"', doublequote=True, strict=True
        )
        array = np.array(list(reader)).squeeze()
        array = array.astype(dtype)
    except ValueError as e:
        if dtype is not None:
            raise ClientError(f"Error while writing numpy array: {e}. dtype is: {dtype}") from e
    except Exception as e:
        raise ClientError(f"Error while decoding csv: {e}") from e
    return array


def _json_to_numpy(string_like: str) -> Any:
    import numpy as np

    return np.array(json.loads(string_like))


def _npy_to_numpy(data: bytes) -> Any:
    import numpy as np

    return np.load(io.BytesIO(data), allow_pickle=True)


def _array_to_json(array_like: Any) -> str:
    def default(value: Any) -> Any:
        if hasattr(value, "tolist"):
            return value.tolist()
        return json.JSONEncoder().default(value)

    return json.dumps(array_like, default=default)


def _array_to_csv(array_like: Any) -> str:
    import numpy as np

    array = np.array(array_like)
    if len(array.shape) == 1:
        array = np.reshape(array, (array.shape[0], 1))
    try:
        stream = io.StringIO()
        writer = csv.writer(
            stream, lineterminator="\n", delimiter=",", quotechar='"', doublequote=True, strict=True
        )
        writer.writerows(array)
        return stream.getvalue()
    except csv.Error as e:
        raise ClientError(f"Error while encoding csv: {e}") from e


def _array_to_npy(array_like: Any) -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, array_like)
    return buffer.getvalue()


DECODERS: dict[str, Callable[[Any], Any]] = {NPY: _npy_to_numpy, CSV: _csv_to_numpy, JSON: _json_to_numpy}
ENCODERS: dict[str, Callable[[Any], Any]] = {NPY: _array_to_npy, CSV: _array_to_csv, JSON: _array_to_json}


def decode(obj: Any, content_type: str) -> Any:
    try:
        decoder = DECODERS[content_type]
    except KeyError:
        raise UnsupportedFormatError(content_type) from None
    return decoder(obj)


def encode(array_like: Any, content_type: str) -> Any:
    try:
        encoder = ENCODERS[content_type]
    except KeyError:
        raise UnsupportedFormatError(content_type) from None
    return encoder(array_like)


# -- sagemaker_sklearn_container.serving defaults ----------------------------------------------
def default_model_fn(model_dir: str) -> Any:
    raise NotImplementedError(
        "\nPlease provide a model_fn implementation.\n"
        "See documentation for model_fn at https://github.com/aws/sagemaker-python-sdk\n"
    )


def default_input_fn(input_data: Any, content_type: str) -> Any:
    import numpy as np

    np_array = decode(input_data, content_type)
    return np_array.astype(np.float32) if content_type in UTF8_TYPES else np_array


def default_predict_fn(input_data: Any, model: Any) -> Any:
    return model.predict(input_data)


def default_output_fn(prediction: Any, accept: str) -> Response:
    return Response(encode(prediction, accept), mimetype=accept)


def _wrapped(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``_functions.error_wrapper(fn, ClientError)``: any exception becomes a ClientError."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            raise ClientError(e) from e

    return wrapper


class Transformer:
    """``sagemaker_containers._transformer.Transformer`` as the scikit-learn container builds it
    (every function passed in, so every one is wrapped)."""

    def __init__(self, module: Any) -> None:
        model_fn = getattr(module, "model_fn", default_model_fn)
        input_fn = getattr(module, "input_fn", None)
        predict_fn = getattr(module, "predict_fn", None)
        output_fn = getattr(module, "output_fn", None)
        transform_fn = getattr(module, "transform_fn", None)
        if transform_fn and (input_fn or predict_fn or output_fn):
            raise ClientError(
                "Cannot use transform_fn implementation with input_fn, predict_fn, and/or output_fn"
            )
        self._model: Any = None
        self._model_fn = _wrapped(model_fn)
        self._transform_fn = _wrapped(transform_fn) if transform_fn else self._default_transform_fn
        self._input_fn = _wrapped(input_fn or default_input_fn)
        self._predict_fn = _wrapped(predict_fn or default_predict_fn)
        self._output_fn = _wrapped(output_fn or default_output_fn)

    def initialize(self) -> None:
        self._model = self._model_fn(MODEL_DIR)

    def transform(self, content: Any, content_type: str, accept: str) -> Response:
        result = self._transform_fn(self._model, content, content_type, accept)
        if isinstance(result, tuple):
            return Response(result[0], mimetype=result[1])
        if isinstance(result, Response):
            return result
        # A view returning a plain string or bytes: Flask sends it as text/html.
        return Response(result, mimetype="text/html")

    def _default_transform_fn(self, model: Any, content: Any, content_type: str, accept: str) -> Any:
        try:
            data = self._input_fn(content, content_type)
        except UnsupportedFormatError as e:  # never reached: the wrapper raised ClientError
            return _error_response(e, HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
        prediction = self._predict_fn(data, model)
        try:
            return self._output_fn(prediction, accept)
        except UnsupportedFormatError as e:  # never reached, as above
            return _error_response(e, HTTPStatus.NOT_ACCEPTABLE)


def _error_response(error: Exception, status: int) -> Response:
    body = json.dumps(
        {"error": type(error).__name__, "error-message": str(error), "stack-trace": traceback.format_exc()}
    )
    return Response(body, status=status, mimetype=JSON)


# -- sagemaker_containers._modules.import_module ----------------------------------------------
def module_name() -> str | None:
    program = os.environ.get("SAGEMAKER_PROGRAM")
    if program and program.endswith(".py"):
        return program[:-3]
    return program


def import_user_module(name: str | None) -> Any:
    """The container's import: an installed module of that name, else the submit directory
    copied into ``/opt/ml/code`` and imported from there."""
    if name is None:
        raise ClientError("SAGEMAKER_PROGRAM is not set: the container has no module to serve")
    try:
        return importlib.import_module(name)
    except ImportError:
        pass
    source = os.environ.get("SAGEMAKER_SUBMIT_DIRECTORY", str(CODE_DIR))
    if source.startswith("s3://"):
        raise ClientError(
            f"{source}: the local cloud downloads an S3 submit directory before the container starts"
        )
    CODE_DIR.mkdir(parents=True, exist_ok=True)
    if not any(CODE_DIR.iterdir()) and Path(source).is_dir() and Path(source).resolve() != CODE_DIR:
        shutil.rmtree(CODE_DIR, ignore_errors=True)
        shutil.copytree(source, CODE_DIR)
    if (CODE_DIR / "requirements.txt").exists():
        log.warning(
            "requirements.txt is not installed by the local cloud: the module runs on the kit's packages"
        )
    sys.path.insert(0, str(CODE_DIR))
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise ClientError(f"ImportModuleError: {e}") from e


# -- the WSGI app's lazy start, and the HTTP front ------------------------------------------
class ModelServer:
    """``serving.main``: the user module and model are loaded by the first request."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.transformer: Transformer | None = None
        self.default_accept = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", JSON)

    def ready(self) -> Transformer:
        with self.lock:
            if self.transformer is None:
                transformer = Transformer(import_user_module(module_name()))
                transformer.initialize()
                self.transformer = transformer
                log.info("model loaded from %s", MODEL_DIR)
            return self.transformer


def content_type_header(mimetype: str) -> str:
    """What Flask sends for a mimetype (``werkzeug.utils.get_content_type``): text types carry
    the charset."""
    if mimetype.startswith("text/") or mimetype in (
        "application/ecmascript",
        "application/javascript",
        "application/sql",
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    ):
        return f"{mimetype}; charset=utf-8"
    return mimetype


class Handler(BaseHTTPRequestHandler):
    server_version = "gunicorn"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    # Headers and body in one write, without Nagle's wait: a separate small body write waits
    # for the client's delayed ACK (40 ms a request).
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    app: ModelServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str | None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _server_error(self) -> None:
        self._send(500, INTERNAL_SERVER_ERROR_PAGE.encode(), "text/html; charset=utf-8")

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b""
        try:
            transformer = self.app.ready()
        except Exception:
            log.exception("the model server could not start")
            self._server_error()
            return
        path = self.path.split("?", 1)[0]
        if path == "/ping" and self.command == "GET":
            self._send(200, b"", None)
            return
        if path != "/invocations" or self.command != "POST":
            self._send(404, b"Not Found", "text/html; charset=utf-8")
            return
        content_type = self.headers.get("ContentType") or self.headers.get("Content-Type") or JSON
        accept = self.headers.get("Accept")
        if not accept or accept == ANY:
            accept = self.app.default_accept
        content: Any = payload.decode("utf-8") if content_type in UTF8_TYPES else payload
        try:
            response = transformer.transform(content, content_type, accept)
        except Exception:
            log.exception("Exception on /invocations [POST]")
            self._server_error()
            return
        self._send(response.status, response.body, content_type_header(response.mimetype))


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(0.5)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s - %(name)s - %(message)s")
    parent = os.environ.get(PARENT_PID_ENV)
    if parent:
        threading.Thread(target=_watch_parent, args=(int(parent),), daemon=True).start()
    port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
    Handler.app = ModelServer()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    log.info("model server listening on 127.0.0.1:%s (module %s)", port, module_name())
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

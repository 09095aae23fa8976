"""Terraform invocation helpers shared by the deploy runner, the benchmark and the tests.

Everything here is plain subprocess work around the ``terraform`` binary:

- :func:`find_terraform` locates the binary (``MLGOV_TERRAFORM`` or ``PATH``).
- :func:`write_cli_config` writes a CLI configuration that installs the AWS provider from a
  local filesystem mirror when one exists (``MLGOV_TF_PLUGIN_MIRROR``, default
  ``/opt/tf-plugins``) and shares one plugin cache between working directories, so the 700 MB
  provider binary is neither downloaded nor copied per environment.
- :class:`Terraform` runs one command in one working directory, streams the full output into a
  log file per environment and step, and returns a :class:`TfRun`.
- :func:`failed_resource` reads Terraform's diagnostics for the ``with <address>`` line that
  names the resource an error belongs to.

The module never imports cdktf or boto3: it only needs the synthesized JSON on disk.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from scripts.errors import UsageError

logger = logging.getLogger(__name__)

#: Where the AWS provider is mirrored on machines without registry access.
DEFAULT_MIRROR = "/opt/tf-plugins"
MIRROR_ENV = "MLGOV_TF_PLUGIN_MIRROR"
#: Shared provider plugin cache (one copy of each provider for every working directory).
PLUGIN_CACHE_ENV = "MLGOV_TF_PLUGIN_CACHE"
TERRAFORM_ENV = "MLGOV_TERRAFORM"
#: Providers the mirror is used for; anything else is installed from its registry as usual.
MIRRORED_PROVIDERS = ("registry.terraform.io/hashicorp/aws",)

#: ``plan -detailed-exitcode``: 0 no changes, 1 error, 2 changes present.
PLAN_CLEAN, PLAN_ERROR, PLAN_CHANGES = 0, 1, 2

_WITH_RESOURCE = re.compile(
    r"^[\s│╷╵|]*with ((?:module\.[\w-]+(?:\[[^\]]+\])?\.)*(?:data\.)?[\w-]+\.[\w-]+(?:\[[^\]]+\])?),?\s*$",
    re.M,
)
_ERROR_LINE = re.compile(r"^[\s│╷╵|]*Error: (.+)$", re.M)


class TerraformNotFound(UsageError):
    """No terraform binary on PATH (or at ``MLGOV_TERRAFORM``): a usage error (exit 2)."""


@dataclass(frozen=True)
class TfRun:
    """The outcome of one terraform command."""

    args: tuple[str, ...]
    returncode: int
    seconds: float
    log: Path
    """Full stdout+stderr of the command (appended: one log per environment and step)."""

    @property
    def error(self) -> str | None:
        """The first ``Error:`` summary line of the output, if any."""
        return (
            first_error(self.log.read_text(encoding="utf-8", errors="replace")) if self.log.exists() else None
        )

    @property
    def resource(self) -> str | None:
        """The resource address the first error belongs to, if Terraform named one."""
        return (
            failed_resource(self.log.read_text(encoding="utf-8", errors="replace"))
            if self.log.exists()
            else None
        )


def find_terraform() -> str:
    """Path of the terraform binary: ``$MLGOV_TERRAFORM`` when set, else the one on PATH."""
    explicit = os.environ.get(TERRAFORM_ENV)
    if explicit:
        if not (Path(explicit).is_file() and os.access(explicit, os.X_OK)):
            raise TerraformNotFound(f"{TERRAFORM_ENV}={explicit} is not an executable file")
        return explicit
    found = shutil.which("terraform")
    if not found:
        raise TerraformNotFound(
            "terraform not found on PATH: install Terraform >= 1.10 "
            "(https://developer.hashicorp.com/terraform/install) or set MLGOV_TERRAFORM"
        )
    return found


def mirror_dir() -> Path | None:
    """The provider filesystem mirror, when it exists on this machine."""
    path = Path(os.environ.get(MIRROR_ENV, DEFAULT_MIRROR))
    return path if path.is_dir() else None


def plugin_cache_dir(work_root: Path) -> Path:
    """The shared plugin cache (``$MLGOV_TF_PLUGIN_CACHE`` or ``<work_root>/plugin-cache``)."""
    path = Path(os.environ.get(PLUGIN_CACHE_ENV) or work_root / "plugin-cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def cli_config_text(mirror: Path | None, cache: Path | None) -> str:
    """The CLI configuration (HCL) for a mirror and/or a plugin cache."""
    lines: list[str] = []
    if cache is not None:
        lines.append(f'plugin_cache_dir = "{cache}"')
    if mirror is not None:
        include = ", ".join(f'"{p}"' for p in MIRRORED_PROVIDERS)
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{mirror}"',
            f"    include = [{include}]",
            "  }",
            "  direct {",
            f"    exclude = [{include}]",
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def write_cli_config(work_root: Path) -> Path:
    """Write ``<work_root>/terraformrc`` and return its path (used as ``TF_CLI_CONFIG_FILE``).

    The mirror block is written only when the mirror directory exists, so on a machine with
    registry access the provider is installed from the registry as usual. The plugin cache is
    always shared. With the unpacked mirror layout Terraform links the provider into each
    working directory instead of copying it.
    """
    work_root.mkdir(parents=True, exist_ok=True)
    mirror = mirror_dir()
    # A cache in front of a local mirror would copy the 700 MB binary once more; the mirror
    # is linked directly, so the cache only matters when installing from a registry.
    cache = None if mirror is not None else plugin_cache_dir(work_root)
    path = work_root / "terraformrc"
    text = cli_config_text(mirror, cache)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def first_error(output: str) -> str | None:
    m = _ERROR_LINE.search(output)
    return m.group(1).strip() if m else None


#: How ``plan -no-color`` announces each change, and the line ``apply`` prints when it is done.
_PLANNED = re.compile(
    r"^\s*# (\S+) (will be created|must be replaced|will be updated in-place|will be destroyed)$", re.M
)
_DONE = re.compile(r"^(\S+): (Creation|Modifications|Destruction) complete after ")
_COMPLETES_WITH = {
    "will be created": "Creation",
    "must be replaced": "Creation",
    "will be updated in-place": "Modifications",
    "will be destroyed": "Destruction",
}


def planned_changes(plan_output: str) -> dict[str, str]:
    """``{address: the apply line that completes it}`` (``Creation``, ``Modifications`` or
    ``Destruction``) for every resource change a ``plan -no-color`` output lists."""
    return {m.group(1): _COMPLETES_WITH[m.group(2)] for m in _PLANNED.finditer(plan_output)}


def resource_type(address: str) -> str:
    """``aws_s3_bucket`` of ``aws_s3_bucket.x`` or ``module.m.aws_s3_bucket.x["k"]``."""
    parts = address.split("[", 1)[0].split(".")
    return parts[-2] if len(parts) >= 2 else address


@dataclass
class ApplyProgress:
    """An apply's progress against its plan, fed its output line by line (``on_line``).

    ``on_ready`` is called once, as soon as every planned change has completed except those of
    the ``deferred`` resource types (at once when nothing else is planned); never when the
    apply stops short of that."""

    planned: Mapping[str, str]
    on_ready: Callable[[], None]
    deferred: frozenset[str] = frozenset()
    pending: dict[str, str] = field(init=False)
    ready: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.pending = {a: kind for a, kind in self.planned.items() if resource_type(a) not in self.deferred}
        self._check()

    def on_line(self, line: str) -> None:
        m = _DONE.match(line)
        if m and self.pending.get(m.group(1)) == m.group(2):
            del self.pending[m.group(1)]
            self._check()

    def _check(self) -> None:
        if not self.pending and not self.ready:
            self.ready = True
            self.on_ready()


def failed_resource(output: str) -> str | None:
    """The resource address of the first error in Terraform's output.

    Terraform names it in a ``with aws_x.y,`` line; errors during destroy often lack that line,
    so then the id the error quotes (``deleting S3 Bucket (name): ...``) is matched with the
    progress line of the resource being worked on (``aws_x.y: Destroying... [id=name]``).
    """
    err = _ERROR_LINE.search(output)
    start = err.start() if err else 0
    m = _WITH_RESOURCE.search(output, start)
    next_err = _ERROR_LINE.search(output, err.end()) if err else None
    if m and (next_err is None or m.start() < next_err.start()):
        return m.group(1)
    if err:
        for ident in re.findall(r"\(([^()\s]+)\)", err.group(1)):
            progress = re.search(
                r"^([\w.\[\]\"-]+): (?:Destroying|Creating|Modifying|Refreshing state|Reading)\.\.\.(?: \[id="
                + re.escape(ident)
                + r"\])",
                output,
                re.M,
            )
            if progress:
                return progress.group(1)
    return m.group(1) if m else None


class Terraform:
    """Runs terraform commands in one working directory with a fixed environment.

    ``env`` is added to the current process environment (``TF_CLI_CONFIG_FILE``, credentials);
    keys mapped to ``None`` are removed from it. Output goes to ``log_dir/<label>-<step>.log``.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        log_dir: Path,
        label: str,
        env: Mapping[str, str | None] | None = None,
        binary: str | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.log_dir = Path(log_dir)
        self.label = label
        self.binary = binary or find_terraform()
        self.env = dict(os.environ)
        self.env["TF_IN_AUTOMATION"] = "1"
        self.env["TF_INPUT"] = "0"
        self.env.setdefault("CHECKPOINT_DISABLE", "1")
        for key, value in (env or {}).items():
            if value is None:
                self.env.pop(key, None)
            else:
                self.env[key] = value

    def log_path(self, step: str) -> Path:
        return self.log_dir / f"{self.label}-{step}.log"

    def run(self, step: str, args: Sequence[str], *, on_line: Callable[[str], None] | None = None) -> TfRun:
        """Run ``terraform <args>`` and keep its whole output in this step's log file.

        ``on_line`` is called with each line of output as Terraform prints it (the log gets every
        line first); an exception it raises is logged and the run goes on."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path(step)
        cmd = [self.binary, *args]
        started = time.monotonic()
        with log.open("w", encoding="utf-8") as fh:
            fh.write(f"$ cd {self.workdir} && terraform {' '.join(args)}\n")
            fh.flush()
            if on_line is None:
                returncode = subprocess.run(
                    cmd, cwd=self.workdir, env=self.env, stdout=fh, stderr=subprocess.STDOUT, check=False
                ).returncode
            else:
                returncode = self._streamed(cmd, fh, on_line)
        seconds = time.monotonic() - started
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"\n# exit {returncode} after {seconds:.1f}s\n")
        logger.debug("terraform %s in %s: exit %s (%.1fs)", " ".join(args), self.workdir, returncode, seconds)
        return TfRun(tuple(args), returncode, seconds, log)

    def _streamed(self, cmd: Sequence[str], fh: TextIO, on_line: Callable[[str], None]) -> int:
        """Run ``cmd`` with its output through a pipe: each line to ``fh``, then to ``on_line``."""
        with subprocess.Popen(
            cmd,
            cwd=self.workdir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                fh.write(line)
                fh.flush()
                try:
                    on_line(line.rstrip("\n"))
                except Exception:  # a watcher's bug must not cut a Terraform run short
                    logger.exception("terraform output watcher failed on %r", line)
            return proc.wait()

    # -- the commands the runner uses ------------------------------------------------------
    def init(self) -> TfRun:
        return self.run("init", ["init", "-input=false", "-no-color"])

    def apply(self, plan_file: str | None = None, *, on_line: Callable[[str], None] | None = None) -> TfRun:
        """Apply a saved plan (no second refresh and plan), or plan and apply in one go."""
        if plan_file:
            return self.run("apply", ["apply", "-input=false", "-no-color", plan_file], on_line=on_line)
        return self.run("apply", ["apply", "-input=false", "-no-color", "-auto-approve"], on_line=on_line)

    def plan(self, *, refresh_only: bool = False, step: str | None = None, out: str | None = None) -> TfRun:
        """``plan -detailed-exitcode``: returncode 0 clean, 2 changes (or drift), 1 error."""
        args = ["plan", "-input=false", "-no-color", "-detailed-exitcode"]
        if refresh_only:
            args.append("-refresh-only")
        if out:
            args.append(f"-out={out}")
        return self.run(step or ("drift" if refresh_only else "plan"), args)

    def show_json(self, plan_file: str) -> dict:
        """``terraform show -json <plan>``: the saved plan as data (``resource_drift``, ...)."""
        proc = subprocess.run(
            [self.binary, "show", "-json", plan_file],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"terraform show -json {plan_file} failed in {self.workdir}: {proc.stderr.strip()[-500:]}"
            )
        return json.loads(proc.stdout)

    def refresh(self) -> TfRun:
        """``apply -refresh-only``: record in state what the provider reads back (tags ``{}``
        for null, computed inline policies, ...), so a later drift check compares against what
        the cloud reports rather than against what was sent."""
        return self.run("refresh", ["apply", "-refresh-only", "-input=false", "-no-color", "-auto-approve"])

    def destroy(self) -> TfRun:
        return self.run("destroy", ["destroy", "-input=false", "-no-color", "-auto-approve"])

    def state_list(self) -> list[str]:
        """Addresses in the state (empty when there is no state yet)."""
        proc = subprocess.run(
            [self.binary, "state", "list"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            return []
        return [line for line in proc.stdout.splitlines() if line.strip()]

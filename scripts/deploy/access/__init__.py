"""The access matrix: who can make each governance change, computed from the synthesized policies.

    mlgov deploy access-matrix --env prod            # the table docs/THREAT_MODEL.md shows
    mlgov deploy access-matrix --env prod --json     # every cell with the statements that decide it

For every role of an environment (:data:`ROLES`: the platform stack's execution, data-scientist,
approver, promotion, DataZone, pipeline and model-deploy roles, the data-engineer and data-grant
roles where data lives, the bootstrap's deploy and plan roles) and every
governance action (:func:`actions`: register a version, approve, change the card, change the
``mlgov-*`` metadata, write, overwrite or delete ``models/*``, assume the approver or promotion
role, read the state, read the environment's data, ...), the requests the action takes are
decided the way AWS decides them, by the local cloud's evaluator (``core/evaluation.py``, through
the deploy runner's door :func:`scripts.deploy.runner.policy_evaluator`): the role's identity policies (inline,
the guards, AWS-managed ones), and the resource-based policy of what each request names (the
role's trust, the bucket, key and model package group policies), with the request context each
request carries (``s3:if-none-match``, ``sagemaker:ModelApprovalStatus``,
``sagemaker:CurrentCustomerMetadataProperties/mlgov-gates``, ``kms:ViaService``,
``aws:SourceIdentity`` ...). An action is allowed when one of its ways is (:class:`Action`),
a way when every request of it is.

The documents are the synthesized ``cdk.tf.json`` of the platform stack and the bootstrap stack
of the environment (and of its upstream, whose bucket, key and group policies a promotion reads),
with each Terraform reference resolved to a plausible value (:class:`Stacks`: a key's ARN from
its logical id, a bucket's from its name, the Studio domain's id ...). What the matrix assumes of
the world outside the stacks: a person's own policies (an Identity Center permission set) allow
``sts:AssumeRole`` anywhere, so that the trust policies decide; requests come over TLS; no
Service Control Policy or permissions boundary applies.

:func:`who_may_assume` is the second table: which caller may take each person- or CI-facing role
(the people the configuration names, another principal of the account, the deploy role, and the
GitHub jobs by their OIDC subject).

Modules: :mod:`.stacks` (the documents), :mod:`.decide` (a request, an action), :mod:`.actions`
(the roles and the actions), :mod:`.tables` (both tables, as Markdown too), :mod:`.cli` (the
command).
"""

from .actions import ROLES, actions, role_caller, roles_of
from .cli import compute, main
from .decide import Action, Caller, Matrix, Request, Verdict
from .stacks import Document, Stacks
from .tables import TAKEN, TAKERS, Row, matrix, render_markdown, render_trust, who_may_assume

__all__ = [
    "ROLES",
    "TAKEN",
    "TAKERS",
    "Action",
    "Caller",
    "Document",
    "Matrix",
    "Request",
    "Row",
    "Stacks",
    "Verdict",
    "actions",
    "compute",
    "main",
    "matrix",
    "render_markdown",
    "render_trust",
    "role_caller",
    "roles_of",
    "who_may_assume",
]

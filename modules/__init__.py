"""cdktf constructs of the platform, one concern per file, and the stacks that compose them.

Constructs receive typed, keyword-only props and expose what they create as attributes. No
construct creates a provider or backend or looks up the account: those belong to the stacks,
``modules.stack.PlatformStack`` and ``modules.bootstrap.BootstrapStack``, which share
``modules.providers``.
"""

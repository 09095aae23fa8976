"""The governance jobs: register (seed) model versions with their cards, review and approve them,
promote them across accounts behind gates, and report, each acting through one of an
environment's IAM roles and discovering resources through the stack's SSM parameters."""

"""Custom checkov checks of the kit (checkov loads only directories with an __init__.py)."""

"""DataZone endpoints and paths (botocore: datazone.<region>.api.aws; moto server maps the
service taken from the request's credential scope to datazone.<region>.amazonaws.com)."""

from .responses import DataZoneResponse

url_bases = [
    r"https?://datazone\.(.+)\.api\.aws",
    r"https?://datazone\.(.+)\.amazonaws\.com",
]

url_paths = {
    "{0}/v2/domains$": DataZoneResponse.dispatch,
    "{0}/v2/domains/(?P<identifier>[^/]+)$": DataZoneResponse.dispatch,
    "{0}/v2/domains/(?P<domainIdentifier>[^/]+)/projects$": DataZoneResponse.dispatch,
    "{0}/v2/domains/(?P<domainIdentifier>[^/]+)/projects/(?P<identifier>[^/]+)$": DataZoneResponse.dispatch,
    # Everything else inside a domain (users, memberships, catalog, subscriptions, environments):
    # the operation and its parameters come from botocore's model, matched on method and path.
    "{0}/v2/domains/(?P<domainIdentifier>[^/]+)/(?P<path>.+)$": DataZoneResponse.dispatch,
    "{0}/tags/(?P<resourceArn>.+)$": DataZoneResponse.dispatch,
}

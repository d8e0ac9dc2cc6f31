"""Domain errors. Services raise these; `lineage_backend.api.errors` maps them to HTTP once."""

from __future__ import annotations


class FlowlyticsError(Exception):
    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidEventError(FlowlyticsError):
    """The body is JSON but not an OpenLineage event we can store."""

    status_code = 422


class MalformedBodyError(FlowlyticsError):
    """The body cannot be read as JSON at all (or its gzip is broken)."""

    status_code = 400


class BodyTooLargeError(FlowlyticsError):
    status_code = 413


class NotFoundError(FlowlyticsError):
    status_code = 404


class BadRequestError(FlowlyticsError):
    status_code = 400


class InvalidParameterError(FlowlyticsError):
    status_code = 422


class NotAuthenticatedError(FlowlyticsError):
    status_code = 401


class ForbiddenError(FlowlyticsError):
    status_code = 403


class ConfigurationError(FlowlyticsError):
    """The deployment's configuration cannot be used (e.g. a broken workflow operations file)."""

    status_code = 503

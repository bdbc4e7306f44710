"""An OpenFeature provider (``openfeature-sdk``) on a ``canary.Client``.

Boolean flags only (canary-flags flags are on or off); other types answer the default with
TYPE_MISMATCH. The context's targeting key is the user's ``userId``; its attributes are the
user's. ``track("error", context, TrackingEventDetails(attributes={"flag": key}))`` feeds the
guard (``record_error``) and ``track("duration", ..., value=ms)`` its latency rule.

Install with ``pip install "canary-flags[openfeature]"``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType, Reason
from openfeature.provider import AbstractProvider, Metadata
from openfeature.track import TrackingEventDetails

from .client import Client
from .evaluate import Result

log = logging.getLogger("canary")
ERROR_EVENT = "error"
DURATION_EVENT = "duration"


def user_of(context: EvaluationContext | None) -> dict[str, object]:
    """The user an evaluation context stands for: its attributes plus ``userId`` from the targeting key."""
    if context is None:
        return {}
    user: dict[str, object] = dict(context.attributes)
    if context.targeting_key is not None:
        user["userId"] = context.targeting_key
    return user


def _details(result: Result, default: bool) -> FlagResolutionDetails[bool]:
    reason = result.reason
    if reason.startswith("cohort:"):
        return FlagResolutionDetails(True, reason=Reason.SPLIT if result.split else Reason.TARGETING_MATCH, variant="on")
    if reason == "off":
        return FlagResolutionDetails(False, reason=Reason.DISABLED, variant="off")
    if reason in ("outside_rollout", "no_match", "missing_stickiness"):
        return FlagResolutionDetails(False, reason=Reason.DEFAULT, variant="off")
    code = {"unknown_flag": ErrorCode.FLAG_NOT_FOUND, "not_ready": ErrorCode.PROVIDER_NOT_READY}.get(reason, ErrorCode.GENERAL)
    return FlagResolutionDetails(default, reason=Reason.ERROR, error_code=code, error_message=reason)


class CanaryProvider(AbstractProvider):
    """Example::

        client = canary.Client(url=url, server_key=key)
        api.set_provider(CanaryProvider(client))
        api.get_client().get_boolean_value("checkout-v2", False, EvaluationContext("u1", {"region": "eu"}))
    """

    def __init__(self, client: Client, *, ready_timeout: float = 10.0) -> None:
        super().__init__()
        self.client = client
        self._ready_timeout = ready_timeout

    def get_metadata(self) -> Metadata:
        return Metadata(name="canary-flags")

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        self.client.wait_until_ready(timeout=self._ready_timeout)

    def shutdown(self) -> None:
        self.client.close()

    def resolve_boolean_details(
        self, flag_key: str, default_value: bool, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[bool]:
        return _details(self.client.evaluate(flag_key, user_of(evaluation_context), default_value), default_value)

    def _mismatch(self, default: object) -> FlagResolutionDetails[object]:
        return FlagResolutionDetails(default, reason=Reason.ERROR, error_code=ErrorCode.TYPE_MISMATCH,
                                     error_message="canary-flags flags are boolean")

    def resolve_string_details(
        self, flag_key: str, default_value: str, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[str]:
        return self._mismatch(default_value)  # type: ignore[return-value]

    def resolve_integer_details(
        self, flag_key: str, default_value: int, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[int]:
        return self._mismatch(default_value)  # type: ignore[return-value]

    def resolve_float_details(
        self, flag_key: str, default_value: float, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[float]:
        return self._mismatch(default_value)  # type: ignore[return-value]

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Sequence[FlagValueType] | Mapping[str, FlagValueType],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[FlagValueType] | Mapping[str, FlagValueType]]:
        return self._mismatch(default_value)  # type: ignore[return-value]

    def track(
        self,
        tracking_event_name: str,
        evaluation_context: EvaluationContext | None = None,
        tracking_event_details: TrackingEventDetails | None = None,
    ) -> None:
        """``error`` and ``duration`` (ms as the value) events feed the guard; others are ignored."""
        if tracking_event_name not in (ERROR_EVENT, DURATION_EVENT):
            return
        attributes = tracking_event_details.attributes if tracking_event_details is not None else {}
        flag = attributes.get("flag", attributes.get("flagKey"))
        if not isinstance(flag, str) or not flag:
            log.warning("track(%r) needs the flag in its details' attributes, e.g. {'flag': 'checkout-v2'}; ignored", tracking_event_name)
            return
        user = user_of(evaluation_context)
        if tracking_event_name == ERROR_EVENT:
            self.client.record_error(flag, user)
            return
        ms = tracking_event_details.value if tracking_event_details is not None else None
        if ms is None or not ms >= 0:
            log.warning("track('duration') needs the duration in ms as its value; ignored")
            return
        self.client.record_duration(flag, user, ms / 1000)

"""A Flask app as a user writes it from the README's "Python SDK" section: one client made when
the app starts, ready before the first request, answering from memory in the routes.

test_flask_app.py copies this file into a folder outside the repository, installs the built wheel
and the pinned Flask into a fresh venv there and runs it with ``flask --app app run``. Settings
come from the environment: CANARY_URL, CANARY_SERVER_KEY, CHECKOUT_FLAG."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, abort, request

import canary

FLAG = os.environ.get("CHECKOUT_FLAG", "checkout-v2")

flags = canary.Client(url=os.environ["CANARY_URL"], server_key=os.environ["CANARY_SERVER_KEY"])
flags.wait_until_ready(timeout=20)  # raises (and the app does not start) when the key is refused

app = Flask(__name__)


def user_from_query() -> dict[str, str]:
    user_id = request.args.get("user")
    if not user_id:
        abort(400, description="query parameter `user` is required")
    return {"userId": user_id, "region": request.args.get("region", "")}


@app.get("/health")
def health() -> dict[str, Any]:
    return {"status": flags.status, "version": flags.version}


@app.get("/checkout")
def checkout() -> dict[str, Any]:
    """Which checkout this user gets (counts an exposure for the guard)."""
    user = user_from_query()
    return {"userId": user["userId"], "checkout": "new" if flags.is_enabled(FLAG, user) else "old"}


@app.post("/checkout/failed")
def checkout_failed() -> tuple[str, int]:
    """The payment page reports that this user's checkout failed: the guard counts an error in
    the arm the user got (new or old checkout)."""
    flags.record_error(FLAG, user_from_query())
    return "", 204


@app.post("/evaluations")
def evaluations() -> list[dict[str, Any]]:
    """Many users at once, as ``{"flags": [...], "users": [{"userId": ..., "region": ...}]}``:
    each flag's answer with its reason, per user in order."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("flags"), list) or not isinstance(body.get("users"), list):
        abort(400, description="body must be {flags: [string], users: [object]}")
    if not all(isinstance(user, dict) for user in body["users"]):
        abort(400, description="`users` must hold objects such as {userId, region}")
    answers = []
    for user in body["users"]:
        for flag in body["flags"]:
            result = flags.evaluate(flag, user)
            answers.append({"flag": flag, "userId": user.get("userId"), "enabled": result.enabled, "reason": result.reason})
    return answers

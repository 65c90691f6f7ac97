"""The spasmdx web service: build it with create_app()."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from spasmdx.rules import loader

from . import api, cds_hooks, config, errors, health, jwt_auth, metrics, page, requestlog, security, vocabulary


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration (defaults, then SPASMDX_* variables, then test_config), the knowledge
    base (loaded once), blueprints, error handlers."""
    app = Flask(__name__)
    app.config.from_mapping(config.DEFAULTS)
    app.config.from_prefixed_env(config.PREFIX, loads=str)
    config.typed(app.config)
    if test_config:
        app.config.from_mapping(test_config)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"]
    app.json.sort_keys = False  # keep the contract's field order
    app.extensions["spasmdx.kb"] = loader.load(app.config["KB_PATH"])
    requestlog.init_app(app)
    jwt_auth.init_app(app)  # one verifier and replay cache, for CDS Hooks and the API's jwt mode
    security.init_app(app)
    metrics.init_app(app)
    errors.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    cds_hooks.init_app(app)
    app.register_blueprint(cds_hooks.bp)
    app.register_blueprint(vocabulary.bp)
    app.register_blueprint(page.bp)
    return app

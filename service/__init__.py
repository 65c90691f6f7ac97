"""The spasmdx web service: build it with create_app()."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

from spasmdx.rules import loader

from . import api, cds_hooks, errors, health, metrics, page, requestlog, security
from .config import from_environment


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration, the knowledge base (loaded once), blueprints, error handlers."""
    app = Flask(__name__)
    app.config.from_mapping(from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"]
    app.json.sort_keys = False  # keep the contract's field order
    app.extensions["spasmdx.kb"] = loader.load(app.config["KB_PATH"])
    requestlog.init_app(app)
    security.init_app(app)
    metrics.init_app(app)
    errors.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    cds_hooks.init_app(app)
    app.register_blueprint(cds_hooks.bp)
    app.register_blueprint(page.bp)
    return app

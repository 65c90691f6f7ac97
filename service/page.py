"""The clinician's test page at GET /."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

bp = Blueprint("page", __name__)


@bp.get("/")
def index():
    # URLs go to the page as a JSON data block, so it works behind a path prefix and runs no inline code.
    endpoints = {
        "differential": url_for("api.differential"),
        "vocabulary": url_for("vocabulary.vocabulary"),
        "knowledge_base": url_for("api.knowledge_base"),
        "examples": url_for("static", filename="examples.json"),
    }
    return render_template("index.html", endpoints=endpoints)

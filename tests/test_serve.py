"""`spasmdx serve` runs gunicorn on the given host and port and answers."""

from __future__ import annotations

import requests


def test_gunicorn_serves_the_differential(server):
    response = requests.post(
        f"{server}/v1/differential", timeout=10, json={"findings": ["muscle cramps at night"], "patient": {"age": 70}}
    )
    assert response.status_code == 200
    assert response.json()["differential"][0]["id"] == "nocturnal_leg_cramps"
    assert requests.get(f"{server}/readyz", timeout=5).json()["status"] == "ready"

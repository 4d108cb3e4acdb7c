"""The README's "Integration test recipe", run as printed with the official client.

The recipe is read out of README.md (the first ```python block after its heading) so that the
README cannot drift from what works. It runs against a brand-new account of its own, made with
the operator token, because it starts by resetting its account's test data.
"""

import os
import pathlib
import re

import omise

from conftest import BASE, ops, raw

README = pathlib.Path(__file__).resolve().parents[3] / "README.md"


def recipe():
    text = README.read_text()
    start = text.index("### Integration test recipe")
    found = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert found, "the README's recipe has no python block"
    return found.group(1)


def test_the_readme_integration_test_recipe_runs_as_printed(monkeypatch, capsys):
    account = ops("/accounts", {"name": "Recipe Ltd"})["id"]
    key = ops("/accounts/%s/keys" % account, {"mode": "test"})["secret"]
    monkeypatch.setenv("OMISE_SECRET_KEY", key)
    monkeypatch.setenv("OMISE_API_URL", BASE)
    monkeypatch.setenv("EVIDENCE_FILE", str(README.parent / "fixtures" / "files" / "delivery-slip.jpg"))
    exec(compile(recipe(), "README.md (integration test recipe)", "exec"), {"__name__": "recipe"})
    out = capsys.readouterr().out
    assert "recipe passed" in out, out
    # The client was configured by the recipe; what it made is what it says.
    assert omise.api_secret == key
    listed = raw("GET", "/disputes?order=chronological", key=key).json()["data"]
    assert [d["status"] for d in listed] == ["won", "lost"]

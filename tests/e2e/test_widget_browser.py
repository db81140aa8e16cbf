"""The website chat widget in a real browser (Debian's chromium driven by playwright-core)
against the real stack: widget page, Rasa server and action server on free loopback ports.

The browser steps live in tests/browser/chat.spec.mjs (a plain Node script); this test runs
it and checks its screenshots. Nothing is installed here: scripts/ensure_system_packages.sh installs
chromium and scripts/lib.sh (ensure_widget) runs `npm ci` in widget/. Without chromium the
test is skipped, unless CI is set, where a missing chromium is a failure.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict

import pytest

from ops.stack import PROJECT_ROOT, Stack

SPEC = PROJECT_ROOT / "tests" / "browser" / "chat.spec.mjs"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
SCREENSHOTS = ("widget-desktop.png", "widget-phone.png", "widget-arabic.png", "widget-ukrainian.png")
PLAYWRIGHT = PROJECT_ROOT / "widget" / "node_modules" / "playwright-core" / "package.json"
BUNDLE = PROJECT_ROOT / "widget" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="session")
def browser_tools() -> Dict[str, str]:
    """chromium, node and the widget's npm packages; requested before `stack`, so a missing
    browser skips (or fails) before anything is trained or started."""
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not chromium:
        message = "chromium is not installed (run scripts/ensure_system_packages.sh)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI is set, so the browser test may not be skipped")
        pytest.skip(f"{message}; set CI=1 to make this a failure")
    node = shutil.which("node")
    if not node:
        pytest.fail("node is not installed: the widget's browser test needs Node.js 18+")
    for needed in (PLAYWRIGHT, BUNDLE):
        if not needed.exists():
            pytest.fail(f"{needed.relative_to(PROJECT_ROOT)} is missing: run `npm ci` in widget/ "
                        "(scripts/test.sh does it through ensure_widget)")
    return {"chromium": os.path.realpath(chromium), "node": node}


def test_widget_in_a_browser(browser_tools: Dict[str, str], stack: Stack) -> None:
    assert any(service.name == "widget page" for service in stack.services), (
        "the stack did not start the widget page (widget/serve.py)"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name in SCREENSHOTS + ("widget-failure.png",):
        (ARTIFACTS / name).unlink(missing_ok=True)

    env = dict(os.environ)
    env.update(
        {
            "WIDGET_URL": stack.widget_url,
            "SCREENSHOT_DIR": str(ARTIFACTS),
            "CHROMIUM_PATH": browser_tools["chromium"],
        }
    )
    try:
        result = subprocess.run(
            [browser_tools["node"], str(SPEC)], cwd=PROJECT_ROOT, env=env,
            capture_output=True, text=True, timeout=900,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"the browser test did not finish within 15 minutes:\n{error.stdout or ''}")
    output = (result.stdout or "") + (result.stderr or "")
    print(output)  # every step, shown by pytest -s or on failure
    if result.returncode != 0:
        logs = Path(stack.run_dir) / "logs"
        pytest.fail(
            f"the browser test failed (exit {result.returncode}); its output ends with:\n"
            + "\n".join(output.strip().splitlines()[-40:])
            + f"\n\nScreenshot of the failure: {ARTIFACTS / 'widget-failure.png'}; "
            f"server logs: {logs}",
            pytrace=False,
        )

    for name in SCREENSHOTS:
        path = ARTIFACTS / name
        assert path.is_file(), f"screenshot {path} was not saved"
        data = path.read_bytes()
        assert len(data) > 0, f"screenshot {path} is empty"
        assert data.startswith(PNG_SIGNATURE), f"screenshot {path} is not a PNG"

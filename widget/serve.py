#!/usr/bin/env python3
"""Serves the website chat widget page on one port (standard library only, plus PyYAML
when available for reading firm.yml).

    python widget/serve.py --port 8080

Only an allow-list of files is served: the page, its CSS and glue script, the one
rasa-webchat bundle from node_modules, and /config.js, built on each request from the
environment and firm.yml. No directory listings, no other paths (so no `..` tricks).

Environment:
  RASA_URL          the Rasa server's URL as the visitor's browser reaches it,
                    e.g. http://127.0.0.1:5005 or https://chat.example.com
                    (empty: the page's own origin, for a reverse proxy in front of both)
  RASA_PUBLIC_URL   optional; overrides RASA_URL for the browser when Rasa is reached
                    through a different public address than the internal RASA_URL
  RASA_SOCKET_PATH  optional socket.io path (default: RASA_URL's path + /socket.io/)
  QUICK_EXIT_URL    the neutral site the Quick exit button goes to
                    (default https://www.google.com/search?q=weather)
  FIRM_SETTINGS     path to the firm's settings file (default: firm.yml in the project root)
  WIDGET_HOST       interface to listen on (default 127.0.0.1; --host overrides)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

WIDGET_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = WIDGET_DIR.parent
BUNDLE = WIDGET_DIR / "node_modules" / "rasa-webchat" / "lib" / "index.js"
DEFAULT_QUICK_EXIT_URL = "https://www.google.com/search?q=weather"
# rasa-webchat 1.0.1's CSS asks Google Fonts for "Inter" on every load. The CSP would block it,
# but a page for people who fear being traced should not even try: the bundle is served without
# that @import, and the page's fonts (Noto Sans: Latin, Cyrillic; Noto Sans Arabic) come from
# this origin (npm @fontsource packages, installed with the bundle).
FONT_CDN_IMPORT = b"@import url(https://fonts.googleapis.com/css?family=Inter:400,500,700&display=swap);"
FONTS = WIDGET_DIR / "node_modules" / "@fontsource"
FONT_FILES = [f"noto-sans/files/noto-sans-{subset}-{weight}-normal.woff2"
              for subset in ("latin", "latin-ext", "cyrillic") for weight in (400, 700)]
FONT_FILES += [f"noto-sans-arabic/files/noto-sans-arabic-arabic-{weight}-normal.woff2" for weight in (400, 700)]

# URL path -> (file on disk, content type). Nothing else is ever read from disk.
# The scripts and CSS may also be loaded by the firm's own site (README.md, "Putting it on the firm's website"); the page may not.
SHAREABLE = {"/config.js", "/widget.js", "/widget.css", "/vendor/rasa-webchat.js"}

STATIC_FILES: Dict[str, Tuple[Path, str]] = {
    "/": (WIDGET_DIR / "index.html", "text/html; charset=utf-8"),
    "/index.html": (WIDGET_DIR / "index.html", "text/html; charset=utf-8"),
    "/widget.css": (WIDGET_DIR / "widget.css", "text/css; charset=utf-8"),
    "/widget.js": (WIDGET_DIR / "widget.js", "text/javascript; charset=utf-8"),
    "/vendor/rasa-webchat.js": (BUNDLE, "text/javascript; charset=utf-8"),
    **{f"/fonts/{Path(name).name}": (FONTS / name, "font/woff2") for name in FONT_FILES},
}


def http_url(value: str) -> Optional[str]:
    """value if it is an absolute http(s) URL with a host, else None."""
    value = (value or "").strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in value for c in "\"'<> \\"):
        return None
    return value


def rasa_endpoint() -> Tuple[str, str, str]:
    """(socketUrl for the browser, socketPath, CSP connect-src sources) from the environment."""
    raw = os.environ.get("RASA_PUBLIC_URL") or os.environ.get("RASA_URL") or ""
    url = http_url(raw)
    if raw and not url:
        print(f"widget: ignoring RASA_URL {raw!r}: not an http(s) URL", file=sys.stderr)
    path_env = os.environ.get("RASA_SOCKET_PATH", "").strip()
    if not url:  # same origin: a reverse proxy serves the page and Rasa's /socket.io/
        return "", path_env or "/socket.io/", ""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    socket_path = path_env or (parts.path.rstrip("/") + "/socket.io/")
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    return origin, socket_path, f"{origin} {ws_scheme}://{parts.netloc}"


def firm_settings() -> Dict[str, Any]:
    """The firm's name and privacy notice URL from firm.yml; empty values if unavailable."""
    path = Path(os.environ.get("FIRM_SETTINGS") or PROJECT_ROOT / "firm.yml")
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    try:
        import yaml  # PyYAML: installed with Rasa in the project's virtual environment

        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except FileNotFoundError:
        return {}
    except Exception as error:  # unreadable or invalid: neutral text rather than no page
        print(f"widget: could not read {path}: {error}", file=sys.stderr)
        return {}
    firm = data.get("firm") if isinstance(data.get("firm"), dict) else {}
    privacy = data.get("privacy_notice") if isinstance(data.get("privacy_notice"), dict) else {}
    name = firm.get("name")
    return {
        "firmName": name.strip() if isinstance(name, str) else "",
        "privacyUrl": http_url(str(privacy.get("url") or "")) or "",
    }


RIGHT_TO_LEFT = {"ar"}


def page_languages() -> Dict[str, Any]:
    """The enabled languages (firm.yml), each with its own name, direction and the page's texts
    (locales/, through the project's i18n package); English alone if they cannot be read."""
    try:
        sys.path.insert(0, str(PROJECT_ROOT))
        from babel import Locale
        from firm import get_settings
        from i18n import get_catalog

        catalog = get_catalog()
        codes = list(get_settings().conversation.languages)
        keys = [key for key in catalog.english if key.startswith("messages.widget.")]
        languages = [{
            "code": code,
            "name": (Locale.parse(code).get_display_name(code) or code).capitalize(),
            "dir": "rtl" if code in RIGHT_TO_LEFT else "ltr",
            "texts": {key.removeprefix("messages.widget."): catalog.text(code, key) for key in keys},
        } for code in codes]
        return {"languages": languages, "defaultLanguage": codes[0]}
    except Exception as error:  # the page still works, in the English of index.html
        print(f"widget: languages unavailable: {error}", file=sys.stderr)
        return {"languages": [], "defaultLanguage": "en"}


def config_js() -> bytes:
    socket_url, socket_path, _ = rasa_endpoint()
    quick_exit = http_url(os.environ.get("QUICK_EXIT_URL", "")) or DEFAULT_QUICK_EXIT_URL
    config = {
        "socketUrl": socket_url,
        "socketPath": socket_path,
        "quickExitUrl": quick_exit,
        "firmName": "",
        "privacyUrl": "",
    }
    config.update(firm_settings())
    config.update(page_languages())
    # Escape "<" so the JSON can never close a <script> element, wherever it is pasted.
    body = json.dumps(config, ensure_ascii=True, indent=2).replace("<", "\\u003c")
    return f"window.WIDGET_CONFIG = Object.freeze({body});\n".encode("ascii")


def security_headers(path: str) -> Dict[str, str]:
    _, _, rasa_sources = rasa_endpoint()
    csp = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            # rasa-webchat injects its CSS with <style> elements at run time (served without
            # its @import of Google Fonts: nothing is fetched from a CDN).
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",  # the page's fonts; the bundle inlines its carousel icon font
            f"connect-src 'self' {rasa_sources}".strip(),
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "cross-origin" if path in SHAREABLE else "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "widget"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.respond(include_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self.respond(include_body=False)

    def do_POST(self) -> None:  # noqa: N802
        self.send_plain(HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed\n", {"Allow": "GET, HEAD"})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def respond(self, include_body: bool) -> None:
        path = urlsplit(self.path).path
        if path == "/config.js":
            self.send_body(HTTPStatus.OK, config_js(), "text/javascript; charset=utf-8",
                           "no-store", include_body)
            return
        entry = STATIC_FILES.get(path)
        if entry is None:
            self.send_plain(HTTPStatus.NOT_FOUND, "Not found\n", include_body=include_body)
            return
        file_path, content_type = entry
        try:
            body = file_path.read_bytes()
            if file_path == BUNDLE:
                body = body.replace(FONT_CDN_IMPORT, b"")
        except OSError:
            hint = " (run npm ci in widget/)" if file_path == BUNDLE else ""
            self.log_message("missing file %s%s", file_path, hint)
            self.send_plain(HTTPStatus.NOT_FOUND, "Not found\n", include_body=include_body)
            return
        self.send_body(HTTPStatus.OK, body, content_type, "no-cache", include_body)

    def send_body(self, status: HTTPStatus, body: bytes, content_type: str, cache: str,
                  include_body: bool = True, extra: Optional[Dict[str, str]] = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        path = urlsplit(self.path).path
        for name, value in {**security_headers(path), **(extra or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if include_body:
            self.wfile.write(body)

    def send_plain(self, status: HTTPStatus, text: str, extra: Optional[Dict[str, str]] = None,
                   include_body: bool = True) -> None:
        self.send_body(status, text.encode(), "text/plain; charset=utf-8", "no-store",
                       include_body, extra)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # Paths only, never query strings; the conversation itself never passes through here.
        sys.stderr.write("widget: " + (format % args).replace("\n", " ") + "\n")

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        path = urlsplit(self.path).path if hasattr(self, "path") else "-"
        self.log_message("%s %s %s", getattr(self, "command", "-"), path, code)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the chat widget page.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("WIDGET_PORT", 8080)))
    parser.add_argument("--host", default=os.environ.get("WIDGET_HOST", "127.0.0.1"))
    args = parser.parse_args()
    if not BUNDLE.exists():
        print(f"widget: {BUNDLE} is missing: run `npm ci` in {WIDGET_DIR}", file=sys.stderr)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"widget: serving http://{args.host}:{args.port}/ (Rasa: {rasa_endpoint()[0] or 'same origin'})",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

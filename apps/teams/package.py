"""Build the Teams app package (manifest.json with your bot's id and host, and the two icons) as
a zip to upload in Teams (Apps → Manage your apps → Upload an app) or the Teams admin centre.

    python apps/teams/package.py --app-id <MICROSOFT_APP_ID> --host assistant.example.org [--out dist/teams-app.zip]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def build(app_id: str, host: str, organisation: str, out: Path) -> Path:
    if not _GUID.match(app_id):
        raise ValueError(f"the app id must be the Azure Bot's Microsoft App ID (a GUID), got {app_id!r}")
    if not re.match(r"^[a-z0-9.-]+(:\d+)?$", host, re.IGNORECASE):
        raise ValueError(f"the host must be a bare host name such as assistant.example.org, got {host!r}")
    text = (HERE / "manifest.json").read_text(encoding="utf-8")
    text = text.replace("{{MICROSOFT_APP_ID}}", app_id).replace("{{HOST}}", host).replace("{{ORGANISATION}}", organisation)
    json.loads(text)  # still valid JSON
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", text)
        for icon in ("color.png", "outline.png"):
            package.write(HERE / icon, icon)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app-id", required=True, help="The Azure Bot's Microsoft App ID")
    parser.add_argument("--host", required=True, help="The host serving /teams/messages, e.g. assistant.example.org")
    parser.add_argument("--organisation", default="Your health organisation")
    parser.add_argument("--out", type=Path, default=Path("dist/teams-app.zip"))
    args = parser.parse_args()
    try:
        print(build(args.app_id, args.host, args.organisation, args.out))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

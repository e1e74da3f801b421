"""The whole system on the emulators: ``python -m tools.run_emulated`` (``make run-emulated``).

Starts Firestore, Pub/Sub, fake-gcs-server (publishing the uploads bucket's finalize
notifications to Pub/Sub) and the Firebase Auth emulator; serves each event function
with functions-framework as Cloud Functions would; pushes every subscription to its
function as CloudEvents (the pusher stands in for Eventarc); and serves the HTTP
functions with the dev server on ``PORT`` (8080). Ctrl-C stops everything it started.

``--env-file PATH`` writes the environment a client needs (base URL, emulator hosts), so
that a test can drive the running system; it appears, whole, only once everything answers.
``--no-auth`` skips the Auth emulator. SIGTERM stops everything as Ctrl-C does, also while
starting. Exit status 3: an emulator is missing or did not start (the message says which).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from tools import emulators
from tools.emulators import REPO_ROOT, Emulator, EmulatorFailed, EmulatorMissing, free_port

PROJECT = "demo-archbuilder"
UPLOADS_TOPIC = "uploads-finalized"
EXIT_EMULATOR_UNAVAILABLE = 3
# Set here for what this run starts; inherited values would point at someone else's emulators.
EMULATOR_VARIABLES = (
    "FIRESTORE_EMULATOR_HOST",
    "PUBSUB_EMULATOR_HOST",
    "PUBSUB_PROJECT_ID",
    "STORAGE_EMULATOR_HOST",
    "FIREBASE_AUTH_EMULATOR_HOST",
)


def _signing_key(folder: Path) -> Path:
    """A service-account key made for this run: fake-gcs accepts its V4 signed URLs."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = folder / "signer.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": PROJECT,
                "private_key_id": "local",
                "private_key": pem,
                "client_email": f"uploads-signer@{PROJECT}.iam.gserviceaccount.com",
                "client_id": "0",
                "token_uri": "http://127.0.0.1:9/token",
            }
        )
    )
    path.chmod(0o600)
    return path


def _wait_http(url: str, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout_s} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--env-file", type=Path)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--no-auth", action="store_true")
    parser.add_argument(
        "--firestore-import",
        type=Path,
        help="start Firestore with this export (<backup>/firestore/firestore.overall_export_metadata)",
    )
    args = parser.parse_args(argv)

    from archbuilder.manifest import PubSubTrigger, StorageTrigger, load_manifest

    started: list[Emulator] = []
    processes: list[subprocess.Popen[bytes]] = []
    pusher = None
    stop = threading.Event()
    serving = threading.Event()

    def on_sigterm(*_: object) -> None:
        if stop.is_set():
            return  # already stopping: let the shutdown finish
        stop.set()
        if not serving.is_set():
            raise KeyboardInterrupt  # still starting: stop at once, as Ctrl-C does

    signal.signal(signal.SIGTERM, on_sigterm)
    for name in EMULATOR_VARIABLES:
        os.environ.pop(name, None)
    work = Path(tempfile.mkdtemp(prefix="archbuilder-emulated-"))
    try:
        pubsub = emulators.start_pubsub(PROJECT)
        started.append(pubsub)
        started.append(emulators.start_firestore(args.firestore_import))
        os.environ.update(pubsub.env)
        from google.cloud import pubsub_v1  # type: ignore[attr-defined]

        publisher = pubsub_v1.PublisherClient()
        publisher.create_topic(name=publisher.topic_path(PROJECT, UPLOADS_TOPIC))
        started.append(
            gcs := emulators.start_fake_gcs(
                pubsub=pubsub, project=PROJECT, topic=UPLOADS_TOPIC, bucket="uploads"
            )
        )
        if not args.no_auth:
            started.append(emulators.start_auth(PROJECT))
        env: dict[str, str] = {}
        for emulator in started:
            env |= emulator.env
        env |= {
            "ARCHBUILDER_ENV": "local",
            "ARCHBUILDER_GCP_PROJECT": PROJECT,
            "ARCHBUILDER_DATA_DIR": str(args.data_dir or work / "data"),
            "ARCHBUILDER_UPLOADS_BUCKET": "uploads",
            "ARCHBUILDER_ARTIFACTS_BUCKET": "artifacts",
            "ARCHBUILDER_SIGNING_KEY_FILE": str(_signing_key(work)),
            "ARCHBUILDER_SIGNED_URL_ENDPOINT": gcs.env["STORAGE_EMULATOR_HOST"],
            "ARCHBUILDER_STRICT_INDEXES": "true",
            "ARCHBUILDER_SECRETS_BACKEND": "env",
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "NO_GCE_CHECK": "True",  # never probe a metadata server from here
        }
        os.environ.update(env)
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage  # type: ignore[attr-defined]

        client = storage.Client(project=PROJECT, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
        for bucket in ("uploads", "artifacts"):
            client.create_bucket(bucket)

        from archbuilder.adapters.gcp.pusher import Pusher, PushRoute

        routes: list[PushRoute] = []
        bin_dir = Path(sys.executable).parent
        for spec in load_manifest().functions:
            trigger = spec.trigger
            if not isinstance(trigger, (PubSubTrigger, StorageTrigger)):
                continue
            port = free_port()
            process = subprocess.Popen(
                [
                    str(bin_dir / "functions-framework"),
                    "--source",
                    str(REPO_ROOT / "functions" / spec.name / "main.py"),
                    "--target",
                    spec.entry_point,
                    "--signature-type",
                    "cloudevent",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                cwd=REPO_ROOT,
                env=os.environ
                | {
                    "PYTHONPATH": os.pathsep.join(
                        filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])
                    )
                },
                start_new_session=True,
            )
            processes.append(process)
            endpoint = f"http://127.0.0.1:{port}/"
            if isinstance(trigger, PubSubTrigger):
                routes.append(
                    PushRoute(
                        trigger.topic, f"{spec.name}-push", endpoint, dead_letter_topic=f"{spec.name}-dead"
                    )
                )
            else:
                routes.append(
                    PushRoute(
                        UPLOADS_TOPIC,
                        f"{spec.name}-push",
                        endpoint,
                        kind="storage",
                        ordered=False,
                        dead_letter_topic=f"{spec.name}-dead",
                    )
                )
        for process, route in zip(processes, routes, strict=True):
            _wait_http(route.endpoint, process)
        pusher = Pusher(PROJECT, routes).start()

        server = subprocess.Popen(
            [str(bin_dir / "archbuilder"), "serve"],
            cwd=REPO_ROOT,
            env=os.environ | {"PORT": str(args.port)},
            start_new_session=True,
        )
        processes.append(server)
        base = f"http://127.0.0.1:{args.port}"
        _wait_http(f"{base}/v1/health", server)
        if args.env_file:
            client_env = env | {"ARCHBUILDER_BASE_URL": base}
            partial = args.env_file.with_name(args.env_file.name + ".partial")
            partial.write_text("".join(f"{k}={v}\n" for k, v in client_env.items()))
            partial.replace(args.env_file)  # a reader never sees half a file
        serving.set()
        sys.stderr.write(f"ArchBuilder on the emulators: {base} (Ctrl-C stops)\n")
        while not stop.is_set():
            exited = [p for p in processes if p.poll() is not None]
            if exited:
                sys.stderr.write(f"{exited[0].args!r} exited with {exited[0].returncode}; stopping\n")
                return 1
            stop.wait(0.5)
        return 0
    except KeyboardInterrupt:
        return 0
    except (EmulatorMissing, EmulatorFailed) as exc:
        sys.stderr.write(f"emulator unavailable: {exc}\n")
        return EXIT_EMULATOR_UNAVAILABLE
    finally:
        stop.set()
        _shutdown(pusher, processes, started)
        shutil.rmtree(work, ignore_errors=True)


def _shutdown(pusher: object, processes: list[subprocess.Popen[bytes]], started: list[Emulator]) -> None:
    """Stop everything started, each step on its own so that one failure stops nothing less."""
    steps: list[object] = [getattr(pusher, "stop", None)]
    steps += [lambda p=p: _stop_process(p) for p in reversed(processes)]
    steps += [e.stop for e in reversed(started)]
    for step in steps:
        if callable(step):
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - keep stopping the rest
                sys.stderr.write(f"while stopping: {exc!r}\n")


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())

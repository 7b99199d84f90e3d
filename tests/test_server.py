"""The real server: `catalogue serve` as a subprocess on a free loopback port, driven over HTTP by httpx."""
from __future__ import annotations

import contextlib
import json
import signal
import socket
from pathlib import Path

import httpx
import pytest

from cards import PLAN_CARD, card_engine, serving, wait_until

NDJSON = {"content-type": "application/x-ndjson"}

CARD = PLAN_CARD


@pytest.fixture
def server(tmp_path):
    """The service on a one-card catalogue; yields (client, catalogue folder, process)."""
    with serve(tmp_path) as running:
        yield running


@contextlib.contextmanager
def serve(tmp_path, *options: str):
    root = card_engine(tmp_path, CARD).catalogue.root
    with serving(root, tmp_path, "--log-level", "info", *options) as (client, process):
        yield client, root, process


def plan_date(client: httpx.Client) -> str:
    response = client.post("/v1/products/T-1/evaluate", json={"facts": {"registered_on": "2016-04-01"}})
    assert response.status_code == 200, response.text
    return response.json()["deadlines"][0]["date"]


def test_ready_evaluate_batch_reload_and_clean_shutdown(server, tmp_path):
    client, root, process = server
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["last_reload_error"] is None
    assert plan_date(client) == "2016-05-27"  # 2016-04-01 + 56 days

    # A batch streamed in (a generator: httpx sends it chunked) and out, line by line.
    def cases():
        for index in range(3000):
            yield (json.dumps({"id": index, "registered_on": "2016-04-01"}) + "\n").encode()
    rows = 0
    with client.stream("POST", "/v1/products/T-1/batch", content=cases(), headers=NDJSON) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            row = json.loads(line)
            assert row["row"] == rows + 1 and row["deadlines"][0]["date"] == "2016-05-27"
            rows += 1
    assert rows == 3000

    # A good edit is picked up by the watcher.
    card = root / "products" / "T-1.yaml"
    good = card.read_text()
    card.write_text(good.replace("56 days", "28 days"))
    wait_until(lambda: plan_date(client) == "2016-04-29")  # 2016-04-01 + 28 days
    hash_after_edit = client.get("/readyz").json()["catalogue_hash"]

    # A bad edit leaves the last good catalogue serving, and /readyz says where the error is.
    card.write_text(good.replace("registered_on + 56 days", "registered_on + 56 dayz"))
    error = wait_until(lambda: client.get("/readyz").json()["last_reload_error"])
    assert error["errors"][0]["location"].startswith(str(card) + ":12:")
    assert plan_date(client) == "2016-04-29"
    assert client.get("/readyz").json()["catalogue_hash"] == hash_after_edit

    # SIGHUP reloads too (the watcher would as well; the fix is seen either way)
    card.write_text(good)
    process.send_signal(signal.SIGHUP)
    wait_until(lambda: plan_date(client) == "2016-05-27")
    assert client.get("/readyz").json()["last_reload_error"] is None

    # uvicorn finishes its requests and the lifespan, then ends by the signal it was given
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) in (0, -signal.SIGTERM)
    log = (tmp_path / "server.log").read_text()
    assert "Application shutdown complete" in log and "Traceback" not in log


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on `port`, from the kernel's table (Linux)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if int(hex_port, 16) == port and state == "0A":  # 0A: LISTEN
                found.add(address)
    return found


def test_it_listens_on_loopback_only(server):
    client, _, _ = server
    port = client.base_url.port
    # 0100007F is 127.0.0.1 as the kernel writes it (little-endian); 0.0.0.0 would be 00000000
    assert listening_addresses(port) == {"0100007F"}


def test_batch_answers_while_the_request_is_still_coming(server):
    """Streamed both ways: the first results arrive before the client has finished sending, so a
    request of any length is never held whole in memory."""
    client, _, _ = server
    port = client.base_url.port
    lines = "".join(json.dumps({"id": i, "registered_on": "2016-04-01"}) + "\n" for i in range(1200)).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(b"POST /v1/products/T-1/batch HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n")
        connection.sendall(b"%x\r\n%s\r\n" % (len(lines), lines))  # 1200 cases, and the body is not over
        received = b""
        while received.count(b'"row":') < 500:  # the first chunk of 500 results, before the body's end
            data = connection.recv(65536)
            assert data, "the server closed the connection"
            received += data
        assert b" 200 " in received.split(b"\r\n", 1)[0]
        connection.sendall(b"0\r\n\r\n")  # now the body ends
        while not received.endswith(b"0\r\n\r\n"):
            data = connection.recv(65536)
            assert data
            received += data
    assert received.count(b'"row":') == 1200


def test_two_workers_share_the_cache_and_both_follow_an_edit(tmp_path):
    with serve(tmp_path, "--workers", "2") as (client, root, process):
        # a fresh connection per request, so that both workers get some
        answers = [httpx.post(f"{client.base_url}/v1/products/T-1/evaluate",
                              json={"facts": {"registered_on": "2016-04-01"}}, timeout=30) for _ in range(12)]
        assert {a.status_code for a in answers} == {200}
        assert len({a.headers["catalogue-hash"] for a in answers}) == 1
        assert {a.json()["deadlines"][0]["date"] for a in answers} == {"2016-05-27"}
        card = root / "products" / "T-1.yaml"
        card.write_text(card.read_text().replace("56 days", "28 days"))

        def all_reloaded() -> bool:
            dates = {httpx.post(f"{client.base_url}/v1/products/T-1/evaluate",
                                json={"facts": {"registered_on": "2016-04-01"}}, timeout=30
                                ).json()["deadlines"][0]["date"] for _ in range(8)}
            return dates == {"2016-04-29"}  # 2016-04-01 + 28 days, from every worker
        wait_until(all_reloaded)
        log = (tmp_path / "server.log").read_text()
        assert log.count("Started server process") == 2 and "Traceback" not in log
